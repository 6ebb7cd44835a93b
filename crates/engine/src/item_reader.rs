//! A distributed Map's `ItemReader`: its items come from S3 rather than from
//! the state's input. The engine asks its caller to read (an `InvokeTask`
//! command for `s3:getObject` or `s3:listObjectsV2`, recorded in no history
//! event, as on AWS) and turns what comes back into items here, following
//! `ReaderConfig`: `InputType` JSON (an array), JSONL (one value per line) or
//! CSV (`CSVHeaderLocation` FIRST_ROW or GIVEN with `CSVHeaders`,
//! `CSVDelimiter`), or an object listing; `MaxItems` / `MaxItemsPath` (0 means
//! all). A listing is read page by page. Failures are `States.ItemReaderFailed`.

use serde_json::{Map, Value, json};

/// The error of a reader that could not produce items.
pub(crate) const READER_FAILED: &str = "States.ItemReaderFailed";

/// Reader tasks are numbered apart from event ids (which number other tasks).
const READER_TASK_BIT: u64 = 1 << 62;

const GET_OBJECT: &str = "arn:aws:states:::s3:getObject";
const LIST_OBJECTS: &str = "arn:aws:states:::s3:listObjectsV2";
/// A listing is requested through the SDK integration (the optimized one has no listing).
const LIST_OBJECTS_SDK: &str = "arn:aws:states:::aws-sdk:s3:listObjectsV2";

/// What the object read holds.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Json,
    Jsonl,
    Csv {
        /// Given headers (`GIVEN`), else the first row's.
        headers: Option<Vec<String>>,
        delimiter: char,
    },
    /// `listObjectsV2`: one item per object.
    Listing,
}

/// A read in progress.
#[derive(Debug)]
pub(crate) struct Reader {
    /// The read the Map waits for.
    pub task: u64,
    parameters: Value,
    source: Source,
    /// 0: no limit.
    max_items: usize,
    items: Vec<Value>,
}

/// The parts of `ItemReader` decided before the first read.
#[derive(Debug)]
pub(crate) struct Plan {
    source: Source,
}

/// Checks `ItemReader`'s resource and `ReaderConfig` (a `States.ItemReaderFailed`
/// cause when they cannot be read).
pub(crate) fn plan(reader: &Value) -> Result<Plan, String> {
    let resource = reader.get("Resource").and_then(Value::as_str).unwrap_or("");
    let config = reader.get("ReaderConfig").cloned().unwrap_or(json!({}));
    let input_type = config.get("InputType").and_then(Value::as_str);
    let source = match (resource, input_type) {
        (LIST_OBJECTS, _) => Source::Listing,
        (GET_OBJECT, Some("JSON") | None) => Source::Json,
        (GET_OBJECT, Some("JSONL")) => Source::Jsonl,
        (GET_OBJECT, Some("CSV")) => {
            let headers = match config.get("CSVHeaderLocation").and_then(Value::as_str) {
                Some("GIVEN") => Some(
                    config
                        .get("CSVHeaders")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|h| h.as_str().map_or_else(|| h.to_string(), str::to_string))
                                .collect::<Vec<_>>()
                        })
                        .ok_or("CSVHeaders must be given when CSVHeaderLocation is GIVEN.")?,
                ),
                Some("FIRST_ROW") | None => None,
                Some(other) => return Err(format!("Unsupported CSVHeaderLocation: {other}.")),
            };
            let delimiter = match config.get("CSVDelimiter").and_then(Value::as_str) {
                None | Some("COMMA") => ',',
                Some("PIPE") => '|',
                Some("SEMICOLON") => ';',
                Some("SPACE") => ' ',
                Some("TAB") => '\t',
                Some(other) => return Err(format!("Unsupported CSVDelimiter: {other}.")),
            };
            Source::Csv { headers, delimiter }
        }
        (GET_OBJECT, Some(other)) => {
            return Err(format!(
                "Unsupported InputType: {other}. Stepwise reads JSON, JSONL and CSV objects."
            ));
        }
        (other, _) => {
            return Err(format!(
                "Unsupported ItemReader resource: '{other}'. Use {GET_OBJECT} or {LIST_OBJECTS}."
            ));
        }
    };
    Ok(Plan { source })
}

impl Reader {
    /// Starts reading with `parameters` (the evaluated `Parameters` or `Arguments`).
    pub(crate) fn new(plan: Plan, parameters: Value, max_items: usize, task_number: u64) -> Self {
        Reader {
            task: READER_TASK_BIT | task_number,
            parameters,
            source: plan.source,
            max_items,
            items: Vec::new(),
        }
    }

    /// The resource and parameters of the read to make now.
    pub(crate) fn request(&self) -> (&'static str, Value) {
        match self.source {
            Source::Listing => (LIST_OBJECTS_SDK, self.parameters.clone()),
            _ => (GET_OBJECT, self.parameters.clone()),
        }
    }

    /// Takes one read's result: `Ok(false)` when the items are complete (take
    /// them with [`Reader::into_items`]), `Ok(true)` when another page must be
    /// read (as task `next_task`, now [`Reader::task`]), or the failure's cause.
    pub(crate) fn absorb(&mut self, output: &Value, next_task: u64) -> Result<bool, String> {
        match &self.source {
            Source::Listing => {
                let contents = output.get("Contents").and_then(Value::as_array);
                for object in contents.into_iter().flatten() {
                    self.items.push(listed_object(object));
                }
                let truncated = matches!(output.get("IsTruncated"), Some(Value::Bool(true)))
                    || output.get("IsTruncated").and_then(Value::as_str) == Some("true");
                let token = output.get("NextContinuationToken").and_then(Value::as_str);
                if let (true, Some(token)) = (truncated && !self.full(), token) {
                    if let Value::Object(m) = &mut self.parameters {
                        m.insert("ContinuationToken".into(), Value::String(token.into()));
                    }
                    self.task = READER_TASK_BIT | next_task;
                    return Ok(true);
                }
            }
            source => {
                let body = match output.get("Body") {
                    Some(Value::String(text)) => text.clone(),
                    // A body a mock or service already parsed.
                    Some(other) => other.to_string(),
                    None => return Err("The object read has no Body.".into()),
                };
                self.items = parse(source, &body)?;
            }
        }
        Ok(false)
    }

    fn full(&self) -> bool {
        self.max_items > 0 && self.items.len() >= self.max_items
    }

    /// The items read, at most `MaxItems`.
    pub(crate) fn into_items(mut self) -> Vec<Value> {
        if self.max_items > 0 {
            self.items.truncate(self.max_items);
        }
        self.items
    }
}

/// One object of a listing, as AWS's reader gives it.
fn listed_object(object: &Value) -> Value {
    let mut item = Map::new();
    let text = |key: &str| object.get(key).cloned();
    if let Some(v) = text("ETag").or_else(|| text("Etag")) {
        item.insert("Etag".into(), v);
    }
    if let Some(v) = text("Key") {
        item.insert("Key".into(), v);
    }
    if let Some(v) = text("LastModified") {
        item.insert(
            "LastModified".into(),
            epoch_seconds(&v).map_or(v, Value::from),
        );
    }
    if let Some(v) = text("Size") {
        let size = match &v {
            Value::String(s) => s.parse::<u64>().map_or(v.clone(), Value::from),
            _ => v,
        };
        item.insert("Size".into(), size);
    }
    if let Some(v) = text("StorageClass") {
        item.insert("StorageClass".into(), v);
    }
    Value::Object(item)
}

/// `2024-01-02T03:04:05.000Z` (or a number already) as seconds since the epoch.
fn epoch_seconds(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => crate::time::parse_timestamp(s).map(|ms| ms.div_euclid(1000)),
        _ => None,
    }
}

fn parse(source: &Source, body: &str) -> Result<Vec<Value>, String> {
    match source {
        Source::Json => match serde_json::from_str::<Value>(body) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err("Attempting to map over non-iterable node.".into()),
            Err(e) => Err(format!("The object is not valid JSON: {e}")),
        },
        Source::Jsonl => body
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                serde_json::from_str(line)
                    .map_err(|e| format!("Line {} is not valid JSON: {e}", i + 1))
            })
            .collect(),
        Source::Csv { headers, delimiter } => csv_items(body, headers.as_deref(), *delimiter),
        Source::Listing => Ok(Vec::new()),
    }
}

/// Rows as objects keyed by the headers. Values stay text; a row's fields
/// beyond the headers are dropped and missing ones left out.
fn csv_items(body: &str, given: Option<&[String]>, delimiter: char) -> Result<Vec<Value>, String> {
    let mut rows = csv_rows(body, delimiter)?.into_iter();
    let headers: Vec<String> = match given {
        Some(h) => h.to_vec(),
        None => rows.next().unwrap_or_default(),
    };
    let mut seen = std::collections::HashSet::new();
    if !headers.iter().all(|h| seen.insert(h.as_str())) {
        return Err("CSV headers cannot contain duplicates.".into());
    }
    Ok(rows
        .map(|row| {
            Value::Object(
                headers
                    .iter()
                    .zip(row)
                    .map(|(h, v)| (h.clone(), Value::String(v)))
                    .collect(),
            )
        })
        .collect())
}

/// RFC 4180 records: quoted fields may hold delimiters, line breaks and
/// doubled quotes; CRLF or LF ends a record; empty lines are skipped.
fn csv_rows(body: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = body.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    let end_row = |row: &mut Vec<String>, field: &mut String, rows: &mut Vec<Vec<String>>| {
        row.push(std::mem::take(field));
        let r = std::mem::take(row);
        if !(r.len() == 1 && r[0].is_empty()) {
            rows.push(r);
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                end_row(&mut row, &mut field, &mut rows);
            }
            c if c == delimiter => row.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(format!(
            "Unterminated quoted field in CSV record at line {line}."
        ));
    }
    if !field.is_empty() || !row.is_empty() {
        end_row(&mut row, &mut field, &mut rows);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(body: &str, given: Option<&[&str]>) -> Result<Value, String> {
        let given: Option<Vec<String>> = given.map(|g| g.iter().map(|s| s.to_string()).collect());
        csv_items(body, given.as_deref(), ',').map(Value::Array)
    }

    #[test]
    fn csv_rows_become_objects_of_text() {
        let body = "Col1,Col2,Col3\nValue1,Value2,Value3\n,,\ntrue,1,'HelloWorld'\n   ,,\n";
        assert_eq!(
            csv(body, None).unwrap(),
            json!([
                {"Col1": "Value1", "Col2": "Value2", "Col3": "Value3"},
                {"Col1": "", "Col2": "", "Col3": ""},
                {"Col1": "true", "Col2": "1", "Col3": "'HelloWorld'"},
                {"Col1": "   ", "Col2": "", "Col3": ""},
            ])
        );
        // Given headers: the first row is data.
        assert_eq!(
            csv("a,b\r\nc,d", Some(&["H1", "H2"])).unwrap(),
            json!([{"H1": "a", "H2": "b"}, {"H1": "c", "H2": "d"}])
        );
    }

    #[test]
    fn csv_extra_fields_are_dropped_and_quotes_understood() {
        assert_eq!(
            csv("H1,\nValue4,Value5,Value6\n", None).unwrap(),
            json!([{"H1": "Value4", "": "Value5"}])
        );
        assert_eq!(
            csv("k,v\n\"a,b\",\"say \"\"hi\"\"\nthere\"\n", None).unwrap(),
            json!([{"k": "a,b", "v": "say \"hi\"\nthere"}])
        );
        assert!(csv("k\n\"open", None).unwrap_err().contains("Unterminated"));
    }

    #[test]
    fn duplicate_headers_fail() {
        assert_eq!(
            csv("x\n", Some(&["H1", "H1", "H3"])).unwrap_err(),
            "CSV headers cannot contain duplicates."
        );
        assert_eq!(
            csv("a,a\n1,2\n", None).unwrap_err(),
            "CSV headers cannot contain duplicates."
        );
    }

    #[test]
    fn json_must_be_an_array_and_jsonl_is_one_value_per_line() {
        assert_eq!(
            parse(&Source::Json, "[1, {\"a\": 2}]").unwrap(),
            vec![json!(1), json!({"a": 2})]
        );
        assert_eq!(
            parse(&Source::Json, "{\"a\": 1}").unwrap_err(),
            "Attempting to map over non-iterable node."
        );
        assert_eq!(
            parse(&Source::Jsonl, "{\"a\":1}\n\n[2]\n").unwrap(),
            vec![json!({"a": 1}), json!([2])]
        );
        assert!(
            parse(&Source::Jsonl, "{\"a\":1}\nnope\n")
                .unwrap_err()
                .starts_with("Line 2")
        );
    }

    #[test]
    fn listings_are_read_page_by_page_up_to_max_items() {
        let p = plan(&json!({"Resource": LIST_OBJECTS})).unwrap();
        let mut r = Reader::new(p, json!({"Bucket": "b"}), 3, 7);
        assert_eq!(r.request(), (LIST_OBJECTS_SDK, json!({"Bucket": "b"})));
        let page = json!({"IsTruncated": true, "NextContinuationToken": "t1", "Contents": [
            {"Key": "a", "ETag": "\"e\"", "Size": "5", "LastModified": "2024-01-01T00:00:10.000Z",
             "StorageClass": "STANDARD"},
            {"Key": "b", "ETag": "\"f\"", "Size": 6, "LastModified": 1704067210, "StorageClass": "STANDARD"}]});
        assert!(r.absorb(&page, 8).unwrap());
        assert_eq!(r.task, READER_TASK_BIT | 8);
        assert_eq!(
            r.request().1,
            json!({"Bucket": "b", "ContinuationToken": "t1"})
        );
        let last = json!({"IsTruncated": true, "NextContinuationToken": "t2", "Contents": [
            {"Key": "c"}, {"Key": "d"}]});
        // MaxItems is reached: no further page.
        assert!(!r.absorb(&last, 9).unwrap());
        let items = r.into_items();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0],
            json!({"Etag": "\"e\"", "Key": "a", "LastModified": 1704067210, "Size": 5,
                   "StorageClass": "STANDARD"})
        );
        assert_eq!(items[1]["LastModified"], json!(1704067210));
    }

    #[test]
    fn unsupported_configurations_are_named() {
        assert!(
            plan(&json!({"Resource": GET_OBJECT, "ReaderConfig": {"InputType": "PARQUET"}}))
                .unwrap_err()
                .contains("PARQUET")
        );
        assert!(
            plan(&json!({"Resource": "arn:aws:states:::s3:headObject"}))
                .unwrap_err()
                .contains("headObject")
        );
    }
}
