//! `stepwise eval`: the data-flow simulator. Evaluates one JSONPath, payload
//! template or JSONata expression against an input, or runs one state's
//! InputPath → Parameters → ResultSelector → ResultPath → OutputPath.
//!
//! `--jsonata` evaluates one expression the way the official JSONata test suite
//! does: `--input` is the context value (`$`; none means undefined), `--bindings`
//! the variables; the result is printed as JSON (nothing for undefined) with exit
//! status 0, or the JSONata error's `CODE: message` goes to standard error with
//! exit status 1.

use std::process::ExitCode;

use anyhow::Result;
use expr::jsonata::{Bindings, Determinism, Expression, Limits};
use expr::jsonpath::Path;
use serde_json::{Map, Value, json};

use crate::Failure;
use crate::io;

/// Evaluate an expression, or one state's data flow.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("form").required(true).multiple(false)))]
pub struct Args {
    /// A JSONPath (`$.a.b`, `$$.Execution.Id`, `$var`); prints its value.
    #[arg(long, group = "form", value_name = "PATH")]
    jsonpath: Option<String>,
    /// A payload template (`{"x.$": "$.a"}`, intrinsics included): JSON or @FILE.
    #[arg(long, group = "form", value_name = "JSON")]
    template: Option<String>,
    /// A JSONata expression (with or without `{% %}`), or @FILE; the input is
    /// bound as `$` and as `$states.input`. Prints the result (nothing when it
    /// is undefined), or the error's `CODE: message` on stderr (exit status 1).
    #[arg(long, group = "form", value_name = "EXPRESSION")]
    jsonata: Option<String>,
    /// One state's JSON (Pass or Task), or @FILE: prints input, effectiveInput,
    /// parameters, result and output.
    #[arg(long, group = "form", value_name = "JSON")]
    state: Option<String>,
    /// The input: JSON or @FILE. Default `{}`; with --jsonata, no input means
    /// `$` is undefined, as in the JSONata test suite.
    #[arg(long)]
    input: Option<String>,
    /// With --state: what the Task's resource returned (JSON or @FILE).
    #[arg(long, requires = "state", value_name = "JSON")]
    result: Option<String>,
    /// The context object `$$` (JSON or @FILE); default: one for a fresh execution.
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// Workflow variables, as a JSON object or @FILE.
    #[arg(long, value_name = "JSON")]
    variables: Option<String>,
    /// With --jsonata: variables for the expression (`{"x": 1}` binds `$x`), as a
    /// JSON object or @FILE, like a JSONata test case's `bindings`.
    #[arg(long, requires = "jsonata", value_name = "JSON")]
    bindings: Option<String>,
    /// Pretty-print the result.
    #[arg(long)]
    pretty: bool,
}

/// What the evaluations read besides the input.
pub struct Env {
    pub context: Value,
    pub variables: Map<String, Value>,
    pub now: i64,
    pub entropy: io::Entropy,
}

impl Env {
    pub fn scope(&self) -> expr::Scope<'_> {
        expr::Scope::new(&self.context, &self.variables)
    }

    /// Seeds one JSONata evaluation.
    pub fn determinism(&mut self) -> Determinism {
        Determinism {
            now_millis: self.now,
            seed: expr::Entropy::next_u64(&mut self.entropy),
        }
    }

    /// `$states` and the variables, for a JSONata evaluation.
    pub fn bindings(&self, input: &Value, result: Option<&Value>) -> Bindings {
        let mut b = Bindings::new();
        for (k, v) in &self.variables {
            b.set(k, v.clone());
        }
        let mut states = Map::new();
        states.insert("input".into(), input.clone());
        if let Some(r) = result {
            states.insert("result".into(), r.clone());
        }
        states.insert("context".into(), self.context.clone());
        b.with("states", Value::Object(states))
    }
}

/// A context object as a fresh execution of a machine named `StateMachine`
/// would see it in a state named `state`.
fn default_context(input: &Value, state: &str, now: i64) -> Value {
    let time = engine::time::format_timestamp(now);
    let prefix = "arn:aws:states:us-east-1:123456789012";
    json!({
        "Execution": {
            "Id": format!("{prefix}:execution:StateMachine:eval"),
            "Input": input,
            "StartTime": time,
            "Name": "eval",
            "RoleArn": "arn:aws:iam::123456789012:role/stepwise",
            "RedriveCount": 0
        },
        "State": {"EnteredTime": time, "Name": state, "RetryCount": 0},
        "StateMachine": {"Id": format!("{prefix}:stateMachine:StateMachine"), "Name": "StateMachine"}
    })
}

fn invalid(what: &str) -> impl Fn(serde_json::Error) -> anyhow::Error + '_ {
    move |e| Failure::new("InvalidInput", format!("{what} is not valid JSON: {e}")).into()
}

/// A `JSON|@FILE` argument that must be a JSON object.
fn object_arg(arg: &str, what: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str(&io::text_arg(arg)?).map_err(invalid(what))? {
        Value::Object(m) => Ok(m),
        _ => Err(Failure::new("InvalidInput", format!("{what} must be a JSON object")).into()),
    }
}

pub fn main(args: Args) -> Result<ExitCode> {
    let given: Option<Value> = match &args.input {
        Some(text) => Some(serde_json::from_str(&io::text_arg(text)?).map_err(invalid("--input"))?),
        None => None,
    };
    let input = given.clone().unwrap_or_else(|| json!({}));
    let now = io::now_millis();
    let context = match &args.context {
        Some(c) => serde_json::from_str(&io::text_arg(c)?).map_err(invalid("--context"))?,
        None => default_context(&input, "State", now),
    };
    let mut variables = match &args.variables {
        Some(v) => object_arg(v, "--variables")?,
        None => Map::new(),
    };
    if let Some(b) = &args.bindings {
        variables.extend(object_arg(b, "--bindings")?);
    }
    let mut env = Env {
        context,
        variables,
        now,
        entropy: io::Entropy::new(io::random_u64()),
    };

    let value = if let Some(text) = &args.jsonpath {
        jsonpath(&env, text, &input)?
    } else if let Some(text) = &args.template {
        let doc: Value =
            serde_json::from_str(&io::text_arg(text)?).map_err(invalid("--template"))?;
        template(&mut env, &doc, &input)?
    } else if let Some(text) = &args.jsonata {
        let source = io::text_arg(text)?;
        if args.context.is_none() {
            env.context = default_context(given.as_ref().unwrap_or(&Value::Null), "State", now);
        }
        match jsonata(&mut env, &source, given.as_ref()) {
            Ok(Some(v)) => v,
            Ok(None) => return Ok(ExitCode::SUCCESS),
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::FAILURE);
            }
        }
    } else if let Some(text) = &args.state {
        let state: Value =
            serde_json::from_str(&io::text_arg(text)?).map_err(invalid("--state"))?;
        let result = match &args.result {
            Some(r) => Some(serde_json::from_str(&io::text_arg(r)?).map_err(invalid("--result"))?),
            None => None,
        };
        if args.context.is_none() {
            env.context = default_context(&input, "State", now);
        }
        crate::eval_state::simulate(&mut env, &state, input, result)?
    } else {
        anyhow::bail!("give one of --jsonpath, --template, --jsonata or --state")
    };
    let text = if args.pretty {
        serde_json::to_string_pretty(&value)?
    } else {
        serde_json::to_string(&value)?
    };
    io::print_line(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Parses a JSONPath or says why it is not one.
pub fn parse_path(text: &str) -> Result<Path, Failure> {
    Path::parse(text).map_err(|e| {
        Failure::new(
            "InvalidPath",
            format!("'{text}' is not a valid JSONPath: {e}"),
        )
    })
}

/// A path's value; a definite path that finds nothing fails as AWS's InputPath does.
pub fn jsonpath(env: &Env, text: &str, input: &Value) -> Result<Value, Failure> {
    let path = parse_path(text)?;
    path.evaluate(input, &env.scope()).map_err(|e| {
        Failure::new(
            "States.Runtime",
            format!("Invalid path '{text}' : {}", e.message),
        )
    })
}

/// A payload template (Parameters, ResultSelector, Assign in JSONPath states).
pub fn template(env: &mut Env, template: &Value, input: &Value) -> Result<Value, Failure> {
    let scope = expr::Scope::new(&env.context, &env.variables);
    expr::template::evaluate(template, input, &scope, &mut env.entropy)
        .map_err(|e| Failure::new(e.error, e.cause))
}

/// The expression inside `{% … %}`, or the text itself.
pub fn strip_braces(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix("{%")
        .and_then(|t| t.strip_suffix("%}"))
        .map(str::trim)
        .unwrap_or(t)
}

/// A JSONata expression with `$` and `$states.input` bound to the input (both
/// undefined without one) and the variables bound; `None` when it evaluates to
/// undefined. The error is JSONata's own (`T2001: …`), as the test suite states it.
fn jsonata(
    env: &mut Env,
    text: &str,
    input: Option<&Value>,
) -> Result<Option<Value>, expr::jsonata::Error> {
    let mut bindings = Bindings::new();
    for (k, v) in &env.variables {
        bindings.set(k, v.clone());
    }
    if !env.variables.contains_key("states") {
        let mut states = Map::new();
        if let Some(i) = input {
            states.insert("input".into(), i.clone());
        }
        states.insert("context".into(), env.context.clone());
        bindings.set("states", Value::Object(states));
    }
    let compiled = Expression::compile(strip_braces(text))?;
    let det = env.determinism();
    compiled.evaluate_with(input, &bindings, &det, &Limits::default())
}

/// Compiles and evaluates one expression, with AWS's wording for its errors.
pub fn evaluate_jsonata(
    env: &mut Env,
    text: &str,
    input: Option<&Value>,
    bindings: &Bindings,
) -> Result<Option<Value>, Failure> {
    let source = strip_braces(text);
    let error = |e: expr::jsonata::Error| {
        Failure::new(
            "States.QueryEvaluationError",
            format!("The JSONata expression '{source}' threw an error during evaluation. {e}"),
        )
    };
    let compiled = Expression::compile(source).map_err(error)?;
    let det = env.determinism();
    compiled
        .evaluate_with(input, bindings, &det, &Limits::default())
        .map_err(error)
}
