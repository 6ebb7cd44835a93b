//! Step Functions Local's MockConfigFile in the live runtime: an execution
//! started as `<ARN>#<TestCase>` gets the case's responses for the states it
//! mocks, the real integration for the others, and its invocation counts
//! survive a restart. Real SQLite files, real timers.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use runtime::{BoxFuture, Invoker, MockConfig, Runtime, RuntimeConfig, TaskOutcome, TaskRequest};
use serde_json::{Value, json};
use store::{ExecutionStatus, MachineType};

const T: Duration = Duration::from_secs(20);

/// The "real" integration: answers with its parameters and counts its calls.
struct Echo(Arc<AtomicUsize>);

impl Invoker for Echo {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, TaskOutcome> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { TaskOutcome::Succeeded(json!({"echo": request.parameters})) })
    }
}

fn mock_file() -> Value {
    json!({
        "StateMachines": {
            "shop": {"TestCases": {
                "DeclinedOnce": {"Charge": "DeclineThenPay"},
                "Paid": {"Charge": "Pay"}
            }},
            "poll": {"TestCases": {"TwoPolls": {"Poll": "NotYetThenDone"}}}
        },
        "MockedResponses": {
            "DeclineThenPay": {
                "0": {"Throw": {"Error": "Payment.Declined", "Cause": "card declined"}},
                "1": {"Return": {"paid": 2}}
            },
            "Pay": {"0": {"Return": {"paid": 1}}},
            "NotYetThenDone": {
                "0": {"Return": {"done": false}},
                "1-2": {"Return": {"done": true}}
            }
        }
    })
}

fn runtime(store: &Arc<dyn store::Store>, calls: &Arc<AtomicUsize>) -> Arc<Runtime> {
    let config = RuntimeConfig {
        invoker: Arc::new(Echo(Arc::clone(calls))),
        mocks: Some(Arc::new(MockConfig::new(mock_file()).expect("mock file"))),
        ..Default::default()
    };
    Runtime::new(Arc::clone(store), config)
}

const SHOP: &str = r#"{"StartAt":"Charge","States":{
  "Charge":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
            "Parameters":{"amount.$":"$.amount"},
            "Retry":[{"ErrorEquals":["Payment.Declined"],"IntervalSeconds":1,"MaxAttempts":2}],
            "ResultPath":"$.charge","Next":"Ship"},
  "Ship":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
          "Parameters":{"charge.$":"$.charge"},"End":true}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_case_mocks_its_states_and_the_others_run_for_real() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("db"));
    let calls = Arc::new(AtomicUsize::new(0));
    let rt = runtime(&store, &calls);
    rt.start().await.unwrap();
    let sm = create(&*store, "shop", MachineType::Standard, SHOP);

    let arn = rt
        .start_execution(start_req(
            &format!("{sm}#DeclinedOnce"),
            Some("d"),
            r#"{"amount":5}"#,
        ))
        .await
        .unwrap()
        .execution_arn;
    assert_eq!(
        arn,
        format!("{}:d", sm.replace(":stateMachine:", ":execution:"))
    );
    rt.wait_until_done(&arn, T).await.unwrap();
    let e = store.describe_execution(&arn).unwrap();
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    // The second invocation of Charge got the second mocked response; Ship ran
    // on the real integration with it.
    let output: Value = serde_json::from_str(e.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!({"echo": {"charge": {"paid": 2}}}));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "only Ship is real");
    let h = types(&history(&*store, &arn));
    assert_eq!(h.iter().filter(|t| *t == "TaskFailed").count(), 1, "{h:?}");

    // Another case of the same machine, and no case at all (all real).
    let paid = rt
        .start_execution(start_req(
            &format!("{sm}#Paid"),
            Some("p"),
            r#"{"amount":5}"#,
        ))
        .await
        .unwrap()
        .execution_arn;
    rt.wait_until_done(&paid, T).await.unwrap();
    let out = store.describe_execution(&paid).unwrap().output.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"echo": {"charge": {"paid": 1}}})
    );
    let real = rt
        .start_execution(start_req(&sm, Some("r"), r#"{"amount":5}"#))
        .await
        .unwrap()
        .execution_arn;
    rt.wait_until_done(&real, T).await.unwrap();
    let out = store.describe_execution(&real).unwrap().output.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"echo": {"charge": {"echo": {"amount": 5}}}}),
        "both states ran for real"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 4);

    // An unknown case is refused, as is a case without a mock file.
    let err = rt
        .start_execution(start_req(&format!("{sm}#Nope"), Some("x"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ValidationException", "{err}");
    let plain = Runtime::new(Arc::clone(&store), RuntimeConfig::default());
    let err = plain
        .start_execution(start_req(&format!("{sm}#Paid"), Some("y"), "{}"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "InvalidArn", "{err}");
}

const POLL: &str = r#"{"StartAt":"Poll","States":{
  "Poll":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r","Next":"Ready?"},
  "Ready?":{"Type":"Choice","Choices":[{"Variable":"$.r.done","BooleanEquals":true,"Next":"Done"}],
            "Default":"Later"},
  "Later":{"Type":"Wait","Seconds":2,"Next":"Poll"},
  "Done":{"Type":"Succeed"}}}"#;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The case name is in the journal and the invocation count is rebuilt from
/// the history: after a restart the second poll gets the second response.
#[test]
fn the_case_and_its_invocation_count_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let calls = Arc::new(AtomicUsize::new(0));
    let first = tokio_runtime();
    let arn = first.block_on(async {
        let store = open(&path);
        let rt = runtime(&store, &calls);
        rt.start().await.unwrap();
        let sm = create(&*store, "poll", MachineType::Standard, POLL);
        let arn = rt
            .start_execution(start_req(&format!("{sm}#TwoPolls"), Some("p"), "{}"))
            .await
            .unwrap()
            .execution_arn;
        // Wait until the first poll is recorded and the Wait has begun.
        for _ in 0..500 {
            if types(&history(&*store, &arn))
                .iter()
                .any(|t| t == "WaitStateEntered")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        arn
    });
    first.shutdown_timeout(Duration::from_secs(5));
    tokio_runtime().block_on(async {
        let store = open(&path);
        let rt = runtime(&store, &calls);
        rt.start().await.unwrap();
        assert_eq!(rt.stats().recovered, 1);
        rt.wait_until_done(&arn, T).await.unwrap();
        let e = store.describe_execution(&arn).unwrap();
        assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
        let h = types(&history(&*store, &arn));
        let polls = h.iter().filter(|t| *t == "TaskScheduled").count();
        assert_eq!(
            polls, 2,
            "a fresh count would have polled three times: {h:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0, "every poll was mocked");
    });
}
