"""Corpus entries for the steps that call other services, manage resources or shape the run."""

from __future__ import annotations

from testsupport.corpus import control, integrations
from testsupport.corpus.catalogue import Definition, Entry, _m, _set, args, get, step


def _cycle_through_failure(d: Definition) -> None:
    """Train now waits for NotifyFailure, which runs when Train fails: a loop."""
    step(d, "Train")["DependsOn"] = ["NotifyFailure"]


def _lineage_unknown_name(d: Definition) -> None:
    association = args(d, "Track")["Associations"][0]
    association["Source"]["Name"] = "training-set"


def _member_of_a_number(d: Definition) -> None:
    """The items are numbers, but the body reads a member of one."""
    args(d, "EachRegion")["IterableItems"] = [1, 2]
    args(d, "ScoreRegion")["region"] = get("ForEach.CurrentItem.name")


MORE_ENTRIES: tuple[Entry, ...] = (
    Entry(
        "lambda",
        ("Lambda", "Condition", "Fail"),
        integrations.lambda_step,
        (
            _m(
                "OutputType 'Int'",
                "Count",
                "enum",
                lambda d: _set(step(d, "Count")["OutputParameters"][0], OutputType="Int"),
            ),
            _m(
                "a condition on an output the function does not declare",
                "CheckCount",
                "dangling-reference",
                lambda d: _set(
                    args(d, "CheckCount")["Conditions"][0],
                    LeftValue=get("Steps.Count.OutputParameters['total']"),
                ),
            ),
            _m(
                "a function name where an ARN is required",
                "Count",
                "pattern",
                lambda d: _set(step(d, "Count"), FunctionArn="corpus-notify"),
            ),
            _m(
                "an output declared twice",
                "Count",
                "duplicate",
                lambda d: step(d, "Count")["OutputParameters"].append(
                    {"OutputName": "count", "OutputType": "Float"}
                ),
            ),
            _m(
                "retry policies on a Lambda step",
                "Count",
                "unknown-key",
                lambda d: _set(step(d, "Count"), RetryPolicies=[]),
            ),
        ),
    ),
    Entry(
        "callback",
        ("Callback", "Condition", "Fail"),
        integrations.callback,
        (
            _m(
                "a queue name where a URL is required",
                "WaitForApproval",
                "pattern",
                lambda d: _set(step(d, "WaitForApproval"), SqsQueueUrl="corpus-approvals"),
            ),
            _m(
                "no queue",
                "WaitForApproval",
                "missing-required",
                lambda d: step(d, "WaitForApproval").pop("SqsQueueUrl"),
            ),
            _m(
                "an output without a name",
                "WaitForApproval",
                "missing-required",
                lambda d: step(d, "WaitForApproval")["OutputParameters"][0].pop("OutputName"),
            ),
        ),
    ),
    Entry(
        "quality-check",
        ("QualityCheck", "Fail"),
        integrations.quality_check,
        (
            _m(
                "CheckType 'DATA_QUALTY'",
                "DataQuality",
                "enum",
                lambda d: _set(step(d, "DataQuality"), CheckType="DATA_QUALTY"),
            ),
            _m(
                "SkipCheck as a string",
                "DataQuality",
                "wrong-type",
                lambda d: _set(step(d, "DataQuality"), SkipCheck="false"),
            ),
            _m(
                "a property the check step does not have",
                "ShowBaseline",
                "dangling-reference",
                lambda d: _set(
                    args(d, "ShowBaseline"),
                    ErrorMessage=get("Steps.DataQuality.CalculatedBaselineViolations"),
                ),
            ),
            _m(
                "misspelt processing member",
                "DataQuality",
                "unknown-key",
                lambda d: _set(args(d, "DataQuality"), Enviroment={}),
            ),
        ),
    ),
    Entry(
        "clarify-check",
        ("ClarifyCheck",),
        integrations.clarify_check,
        (
            _m(
                "a model bias check without a model",
                "DataBias",
                "missing-required",
                lambda d: _set(step(d, "DataBias"), CheckType="MODEL_BIAS"),
            ),
            _m(
                "CheckType of a quality check",
                "DataBias",
                "enum",
                lambda d: _set(step(d, "DataBias"), CheckType="DATA_QUALITY"),
            ),
        ),
    ),
    Entry(
        "emr",
        ("EMR",),
        integrations.emr,
        (
            _m(
                "ActionOnFailure 'CONTINUE_ON'",
                "SparkOnCluster",
                "enum",
                lambda d: _set(
                    args(d, "SparkOnCluster")["StepConfig"], ActionOnFailure="CONTINUE_ON"
                ),
            ),
            _m(
                "both a cluster and a cluster config",
                "SparkOnCluster",
                "conflict",
                lambda d: _set(
                    args(d, "SparkOnCluster"),
                    ClusterConfig=args(d, "SparkOnNewCluster")["ClusterConfig"],
                ),
            ),
            _m(
                "a jar step without a jar",
                "SparkOnCluster",
                "missing-required",
                lambda d: args(d, "SparkOnCluster")["StepConfig"]["HadoopJarStep"].pop("Jar"),
            ),
            _m(
                "a cluster kept alive after its steps",
                "SparkOnNewCluster",
                "conflict",
                lambda d: _set(
                    args(d, "SparkOnNewCluster")["ClusterConfig"]["Instances"],
                    KeepJobFlowAliveWhenNoSteps=True,
                ),
            ),
        ),
    ),
    Entry(
        "emr-serverless",
        ("EMRServerless",),
        integrations.emr_serverless,
        (
            _m(
                "both an application and an application config",
                "Spark",
                "conflict",
                lambda d: _set(
                    args(d, "Spark"),
                    ApplicationConfig={"releaseLabel": "emr-7.1.0", "type": "SPARK"},
                ),
            ),
            _m(
                "a misspelt job driver",
                "Spark",
                "unknown-key",
                lambda d: _set(args(d, "Spark")["JobConfig"]["jobDriver"], sparkSubmitt={}),
            ),
            _m(
                "no role",
                "Spark",
                "missing-required",
                lambda d: args(d, "Spark").pop("ExecutionRoleArn"),
            ),
        ),
    ),
    Entry(
        "hosting",
        ("EndpointConfig", "Endpoint", "InferenceComponent"),
        integrations.hosting,
        (
            _m(
                "instance count as a string",
                "Config",
                "wrong-type",
                lambda d: _set(
                    args(d, "Config")["ProductionVariants"][0], InitialInstanceCount="1"
                ),
            ),
            _m(
                "a misspelt property of the config step",
                "Endpoint",
                "dangling-reference",
                lambda d: _set(
                    args(d, "Endpoint"), EndpointConfigName=get("Steps.Config.EndpointConfigNam")
                ),
            ),
            _m(
                "caching an inference component",
                "Component",
                "unknown-key",
                lambda d: _set(step(d, "Component"), CacheConfig={"Enabled": True}),
            ),
        ),
    ),
    Entry(
        "lineage",
        ("Lineage",),
        integrations.lineage,
        (
            _m(
                "an association to an entity the step does not create",
                "Track",
                "dangling-reference",
                _lineage_unknown_name,
            ),
            _m(
                "AssociationType 'Contributes'",
                "Track",
                "enum",
                lambda d: _set(args(d, "Track")["Associations"][0], AssociationType="Contributes"),
            ),
            _m(
                "an artifact without a source",
                "Track",
                "missing-required",
                lambda d: args(d, "Track")["Artifacts"][0].pop("Source"),
            ),
        ),
    ),
    Entry(
        "conditions",
        ("Condition", "Fail"),
        control.conditions,
        (
            _m(
                "a Not without its condition",
                "Gate",
                "missing-required",
                lambda d: args(d, "Gate")["Conditions"][0]["Conditions"][1].pop("Condition"),
            ),
            _m(
                "In values that are not a list",
                "Gate",
                "wrong-type",
                lambda d: _set(args(d, "Gate")["Conditions"][0]["Conditions"][0], Values="dev"),
            ),
            _m(
                "condition type 'NotEquals'",
                "Gate",
                "enum",
                lambda d: _set(args(d, "Gate")["Conditions"][2], Type="NotEquals"),
            ),
        ),
    ),
    Entry(
        "for-each",
        ("ForEach", "Lambda", "Fail"),
        control.for_each,
        (
            _m(
                "no concurrency",
                "EachRegion",
                "out-of-range",
                lambda d: _set(args(d, "EachRegion"), MaxConcurrency=0),
            ),
            _m(
                "Pick 'Max'",
                "EachRegion",
                "enum",
                lambda d: _set(args(d, "EachRegion")["Selector"], Pick="Max"),
            ),
            _m(
                "the current item outside the loop",
                "Best",
                "invalid-expression",
                lambda d: _set(args(d, "Best"), ErrorMessage=get("ForEach.CurrentItem")),
            ),
            _m(
                "a body step read directly from outside the loop",
                "Best",
                "invalid-expression",
                lambda d: _set(
                    args(d, "Best"),
                    ErrorMessage=get("Steps.ScoreRegion.OutputParameters['region']"),
                ),
            ),
            _m(
                "a Fail step in the body",
                "EachRegion",
                "conflict",
                lambda d: args(d, "EachRegion")["ForEachBody"].append(
                    {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "x"}}
                ),
            ),
            _m(
                "a member of a number item",
                "ScoreRegion",
                "wrong-type",
                _member_of_a_number,
            ),
            _m(
                "a selector on an output the body does not declare",
                "EachRegion",
                "dangling-reference",
                lambda d: _set(
                    args(d, "EachRegion")["Selector"],
                    Field=get("IterationOutput.ScoreRegion.OutputParameters['rank']"),
                ),
            ),
        ),
    ),
    Entry(
        "run-conditions",
        ("Training", "Lambda", "Cleanup", "Fail"),
        control.run_conditions,
        (
            _m(
                "trigger 'Failure'",
                "NotifyFailure",
                "enum",
                lambda d: _set(step(d, "NotifyFailure")["DependsOn"][0], Trigger="Failure"),
            ),
            _m(
                "a cycle through a failure-triggered dependency",
                "Train",
                "cycle",
                _cycle_through_failure,
            ),
            _m(
                "a failure trigger on a step whose properties are read",
                "NotifyFailure",
                "conflict",
                lambda d: _set(
                    args(d, "NotifyFailure"),
                    model=get("Steps.Train.ModelArtifacts.S3ModelArtifacts"),
                ),
            ),
            _m(
                "a run condition on a step that does not exist",
                "WhenStopped",
                "dangling-reference",
                lambda d: _set(step(d, "WhenStopped")["DependsOn"][0], Step="Training"),
            ),
        ),
    ),
    Entry(
        "cleanup",
        ("Processing", "Cleanup"),
        control.cleanup,
        (
            _m(
                "a source step that does not exist",
                "DeleteTrain",
                "dangling-reference",
                lambda d: _set(args(d, "DeleteTrain")["Resources"]["S3"][0], StepName="Prep"),
            ),
            _m(
                "no URIs to delete",
                "DeleteTrain",
                "out-of-range",
                lambda d: _set(args(d, "DeleteTrain")["Resources"]["S3"][0], S3Uris=[]),
            ),
            _m(
                "a source the step does not wait for",
                "DeleteTrain",
                "dangling-reference",
                lambda d: step(d, "DeleteTrain").pop("DependsOn"),
            ),
        ),
    ),
)
