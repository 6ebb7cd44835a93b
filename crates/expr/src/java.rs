//! The Java behaviours AWS's runtime shows through: number printing,
//! `Math.round`, `Map.toString` and `java.util.Random`.
use serde_json::{Number, Value};

/// An integer literal stays an integer (as Jackson's `IntNode`/`LongNode`);
/// anything with a fraction or exponent is a double.
pub(crate) fn parse_number(text: &str) -> Option<Value> {
    if !text.contains(['.', 'e', 'E'])
        && let Ok(i) = text.parse::<i64>()
    {
        return Some(Value::from(i));
    }
    let f: f64 = text.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// `Double.toString`: plain notation for 1e-3 <= |x| < 1e7, otherwise
/// `d.dddE±n`; always at least one fractional digit.
pub(crate) fn double_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let abs = x.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{x:?}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        // `{:e}` gives the shortest round-trip digits, e.g. "1.5e20".
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

/// How a number prints in `States.Format` and `States.JsonToString`.
pub(crate) fn number_to_string(n: &Number) -> String {
    if n.is_f64() {
        n.as_f64().map(double_to_string).unwrap_or_default()
    } else {
        n.to_string()
    }
}

/// `Math.round(double)`: floor(x + 0.5), so -2.5 rounds to -2.
pub(crate) fn math_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

/// `String.valueOf(object)` as AWS's runtime prints arguments of
/// `States.Format`: strings bare, objects as `{k=v, …}`, arrays as `[a, b]`.
pub(crate) fn to_display_string(v: &Value) -> String {
    let mut out = String::new();
    write_display(v, &mut out);
    out
}

fn write_display(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_string(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write_display(item, out);
            }
            out.push('}');
        }
    }
}

/// Compact JSON as Jackson writes it: doubles in Java notation (`1.0E20`).
pub(crate) fn to_json_string(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => out.push_str(&number_to_string(n)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `java.util.Random`: a 48-bit linear congruential generator. Seeded
/// `States.MathRandom` must give the same number for the same seed.
pub(crate) struct JavaRandom {
    seed: u64,
}

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const MASK: u64 = (1 << 48) - 1;

impl JavaRandom {
    pub(crate) fn new(seed: i64) -> Self {
        JavaRandom {
            seed: (seed as u64 ^ MULTIPLIER) & MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        (self.seed >> (48 - bits)) as i64 as i32
    }

    /// `nextInt(bound)` for a positive bound.
    pub(crate) fn next_int(&mut self, bound: i32) -> i32 {
        if bound <= 0 {
            return 0;
        }
        if bound & bound.wrapping_neg() == bound {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }
}

/// The iteration order of a `java.util.HashMap` filled by inserting `keys`
/// in order into a default-sized map. `States.JsonMerge` returns its result
/// in this order, which is why `{"a","b","d"} + {"c"}` comes out `a, b, c, d`.
pub(crate) fn hashmap_order<'k>(keys: impl IntoIterator<Item = &'k str>) -> Vec<&'k str> {
    let keys: Vec<&str> = keys.into_iter().collect();
    let mut capacity: usize = 16;
    while keys.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mask = u32::try_from(capacity - 1).unwrap_or(u32::MAX);
    let mut order: Vec<(u32, usize, &str)> = keys
        .iter()
        .enumerate()
        .map(|(seq, k)| {
            let h = string_hash(k);
            ((h ^ (h >> 16)) & mask, seq, *k)
        })
        .collect();
    order.sort_unstable();
    order.into_iter().map(|(_, _, k)| k).collect()
}

/// `String.hashCode` over UTF-16 code units.
fn string_hash(s: &str) -> u32 {
    s.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(u32::from(unit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_does() {
        assert_eq!(double_to_string(1.1), "1.1");
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(100.0), "100.0");
        assert_eq!(double_to_string(1e7), "1.0E7");
        assert_eq!(double_to_string(1.5e20), "1.5E20");
        assert_eq!(double_to_string(0.0001), "1.0E-4");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(-2.5), "-2.5");
    }

    #[test]
    fn math_round_rounds_half_up() {
        assert_eq!(math_round(-2.5), -2.0);
        assert_eq!(math_round(2.5), 3.0);
        assert_eq!(math_round(-1.51), -2.0);
        assert_eq!(math_round(1.49), 1.0);
    }

    #[test]
    fn java_random_matches_the_jdk() {
        // new Random(42).nextInt(10) == 0; new Random(0).nextInt(100) == 60.
        assert_eq!(JavaRandom::new(42).next_int(10), 0);
        assert_eq!(JavaRandom::new(0).next_int(100), 60);
        // Values printed by a JDK 21 `new Random(seed).nextInt(bound)`.
        assert_eq!(JavaRandom::new(1).next_int(16), 11);
        assert_eq!(JavaRandom::new(3).next_int(999), 239);
        assert_eq!(JavaRandom::new(-7).next_int(1000), 662);
    }

    #[test]
    fn hashmap_order_matches_the_jdk() {
        assert_eq!(hashmap_order(["a", "b", "d", "c"]), ["a", "b", "c", "d"]);
        assert_eq!(
            hashmap_order(["constant_in_literal", "constant_input_field"]),
            ["constant_input_field", "constant_in_literal"]
        );
    }

    #[test]
    fn display_matches_java_collections() {
        let v = serde_json::json!({"Arg1": 1, "Arg2": [], "s": "x", "f": 1.0});
        assert_eq!(to_display_string(&v), "{Arg1=1, Arg2=[], s=x, f=1.0}");
        assert_eq!(
            to_json_string(&serde_json::json!({"a": [1e20, "x"]})),
            r#"{"a":[1.0E20,"x"]}"#
        );
    }
}
