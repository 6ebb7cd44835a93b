//! Task `Resource` ARNs: the optimized integrations AWS knows (with the
//! integration patterns each one supports), `aws-sdk:*`, activities and Lambda
//! function ARNs. Anything else is refused as AWS refuses it.

use crate::diagnostic::Diagnostic;
use crate::parse::{Cx, SCHEMA};

/// An integration pattern, as a resource suffix selects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// No suffix: call and take the response.
    RequestResponse,
    /// `.sync` (and `.sync:2`): run a job and wait for it.
    Sync,
    /// `.waitForTaskToken`: wait for a callback with the task token.
    WaitForTaskToken,
}

const R: &[Pattern] = &[Pattern::RequestResponse];
const RW: &[Pattern] = &[Pattern::RequestResponse, Pattern::WaitForTaskToken];
const RS: &[Pattern] = &[Pattern::RequestResponse, Pattern::Sync];
const RSW: &[Pattern] = &[
    Pattern::RequestResponse,
    Pattern::Sync,
    Pattern::WaitForTaskToken,
];

/// AWS's optimized integrations (`arn:aws:states:::<service>:<action>`) and the
/// patterns each supports.
pub const OPTIMIZED: &[(&str, &[Pattern])] = &[
    ("lambda:invoke", RW),
    ("states:startExecution", RSW),
    ("sqs:sendMessage", RW),
    ("sns:publish", RW),
    ("dynamodb:getItem", R),
    ("dynamodb:putItem", R),
    ("dynamodb:updateItem", R),
    ("dynamodb:deleteItem", R),
    ("events:putEvents", RW),
    ("ecs:runTask", RSW),
    ("batch:submitJob", RSW),
    ("glue:startJobRun", RSW),
    ("databrew:startJobRun", RS),
    ("http:invoke", R),
    ("apigateway:invoke", RW),
    ("athena:startQueryExecution", RSW),
    ("athena:stopQueryExecution", R),
    ("athena:getQueryExecution", R),
    ("athena:getQueryResults", R),
    ("bedrock:invokeModel", R),
    ("bedrock:createModelCustomizationJob", RSW),
    ("codebuild:startBuild", RSW),
    ("codebuild:stopBuild", R),
    ("codebuild:batchDeleteBuilds", R),
    ("codebuild:batchGetReports", R),
    ("codebuild:startBuildBatch", RSW),
    ("codebuild:stopBuildBatch", R),
    ("codebuild:retryBuildBatch", RSW),
    ("codebuild:deleteBuildBatch", R),
    ("eks:createCluster", RS),
    ("eks:deleteCluster", RS),
    ("eks:createFargateProfile", RS),
    ("eks:deleteFargateProfile", RS),
    ("eks:createNodegroup", RS),
    ("eks:deleteNodegroup", RS),
    ("eks:runJob", RS),
    ("eks:call", R),
    ("elasticmapreduce:createCluster", RS),
    ("elasticmapreduce:terminateCluster", RS),
    ("elasticmapreduce:addStep", RS),
    ("elasticmapreduce:cancelStep", R),
    ("elasticmapreduce:setClusterTerminationProtection", R),
    ("elasticmapreduce:modifyInstanceFleetByName", R),
    ("elasticmapreduce:modifyInstanceGroupByName", R),
    ("emr-containers:startJobRun", RS),
    ("emr-containers:createVirtualCluster", R),
    ("emr-containers:deleteVirtualCluster", RS),
    ("emr-serverless:createApplication", RS),
    ("emr-serverless:startApplication", RS),
    ("emr-serverless:stopApplication", RS),
    ("emr-serverless:deleteApplication", RS),
    ("emr-serverless:startJobRun", RS),
    ("emr-serverless:cancelJobRun", RS),
    ("mediaconvert:createJob", RS),
    ("sagemaker:createEndpoint", R),
    ("sagemaker:createEndpointConfig", R),
    ("sagemaker:createHyperParameterTuningJob", RS),
    ("sagemaker:createLabelingJob", RS),
    ("sagemaker:createModel", R),
    ("sagemaker:createProcessingJob", RS),
    ("sagemaker:createTrainingJob", RS),
    ("sagemaker:createTransformJob", RS),
    ("sagemaker:updateEndpoint", R),
    ("s3:getObject", R),
    ("s3:listObjectsV2", R),
    ("s3:putObject", R),
    // Stepwise's own: a command run as a local process (README, "local processes").
    ("process:run", RSW),
];

const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov"];

/// Splits an integration resource into its base and pattern:
/// `sns:publish.waitForTaskToken` → (`sns:publish`, WaitForTaskToken, suffix).
fn split_pattern(r: &str) -> (&str, Pattern, &'static str) {
    for (suffix, p) in [
        (".sync:2", Pattern::Sync),
        (".sync", Pattern::Sync),
        (".waitForTaskToken", Pattern::WaitForTaskToken),
    ] {
        if let Some(base) = r.strip_suffix(suffix) {
            return (base, p, suffix);
        }
    }
    (r, Pattern::RequestResponse, "")
}

/// Whether `resource` names something a Task can run, and for an integration,
/// its pattern.
pub fn classify(resource: &str) -> Option<Pattern> {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let [arn, partition, service, region, account, rest] = parts.as_slice() else {
        return None;
    };
    if *arn != "arn" || !PARTITIONS.contains(partition) {
        return None;
    }
    match *service {
        "states" if region.is_empty() && account.is_empty() => {
            let (base, pattern, _) = split_pattern(rest);
            if let Some(sdk) = base.strip_prefix("aws-sdk:") {
                let mut it = sdk.splitn(2, ':');
                let (Some(svc), Some(action)) = (it.next(), it.next()) else {
                    return None;
                };
                let ok = !svc.is_empty() && !action.is_empty() && pattern != Pattern::Sync;
                return ok.then_some(pattern);
            }
            let (_, patterns) = OPTIMIZED.iter().find(|(name, _)| *name == base)?;
            patterns.contains(&pattern).then_some(pattern)
        }
        "states" => {
            let name = rest.strip_prefix("activity:")?;
            (!name.is_empty() && !region.is_empty() && !account.is_empty())
                .then_some(Pattern::RequestResponse)
        }
        "lambda" => {
            let name = rest.strip_prefix("function:")?;
            (!name.is_empty() && !region.is_empty() && !account.is_empty())
                .then_some(Pattern::RequestResponse)
        }
        _ => None,
    }
}

/// `"Resource": "arn:aws:states:::dynamodb:query"` → `The resource provided … is
/// not recognized. …`; in an Express machine, `.sync` and `.waitForTaskToken`
/// integrations are refused too.
pub(crate) fn check(cx: &mut Cx<'_>, at: &str, resource: &str) {
    match classify(resource) {
        None => cx.diags.push(Diagnostic::new(
            SCHEMA,
            at,
            format!(
                "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
            ),
        )),
        Some(Pattern::Sync) if cx.express() => cx.schema(
            at,
            "Express state machine does not support '.sync' service integration",
        ),
        // AWS's message ends in a space here, so the full text reads
        // `… integration  at /States/…` with two spaces.
        Some(Pattern::WaitForTaskToken) if cx.express() => cx.schema(
            at,
            "Express state machine does not support '.waitForTaskToken' service integration ",
        ),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown() {
        for ok in [
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::states:startExecution.sync:2",
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
            "arn:aws:states:us-east-1:111111111111:activity:a",
            "arn:aws:lambda:us-east-1:111111111111:function:f",
        ] {
            assert!(classify(ok).is_some(), "{ok}");
        }
        for bad in [
            "arn:aws:states:::dynamodb:query",
            "arn:aws:states:::dynamodb:getItem.sync",
            "arn:aws:states:::aws-sdk:s3:getObject.sync",
            "arn:aws:lambda:::function:f",
            "foo",
            "",
        ] {
            assert!(classify(bad).is_none(), "{bad}");
        }
    }
}
