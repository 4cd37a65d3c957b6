"""Corpus builders for the steps that call other services or manage resources: Lambda,
Callback, QualityCheck, ClarifyCheck, EMR, EMR Serverless, EndpointConfig, Endpoint,
InferenceComponent and Lineage, each rendered by the SDK's own classes.
"""

from __future__ import annotations

from typing import Any

from testsupport.corpus.session import ACCOUNT, BUCKET, REGION, ROLE, render

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:corpus-notify"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/corpus-approvals"


def lambda_step(session: Any) -> Any:
    """A Lambda step with typed outputs, a Condition on one and a Fail step on the other."""
    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.core.workflow.conditions import ConditionGreaterThan
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterInteger
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.lambda_step import (
        LambdaOutput,
        LambdaOutputTypeEnum,
        LambdaStep,
    )
    from sagemaker.mlops.workflow.steps import CacheConfig

    limit = ParameterInteger("Limit", default_value=10)
    count = LambdaOutput(output_name="count", output_type=LambdaOutputTypeEnum.Integer)
    status = LambdaOutput(output_name="status", output_type=LambdaOutputTypeEnum.String)
    notify = LambdaStep(
        name="Count",
        lambda_func=Lambda(function_arn=FUNCTION_ARN, session=session),
        inputs={"bucket": BUCKET, "limit": limit},
        outputs=[count, status],
        cache_config=CacheConfig(enable_caching=True, expire_after="PT1H"),
    )
    fail = FailStep(
        name="TooMany",
        error_message=Join(on=" ", values=["status", notify.properties.Outputs["status"]]),
    )
    check = ConditionStep(
        name="CheckCount",
        conditions=[ConditionGreaterThan(left=notify.properties.Outputs["count"], right=limit)],
        if_steps=[fail],
    )
    return render(session, "corpus-lambda", [notify, check], [limit])


def callback(session: Any) -> Any:
    """A Callback step whose Boolean output a Condition reads."""
    from sagemaker.core.workflow.conditions import ConditionEquals
    from sagemaker.mlops.workflow.callback_step import (
        CallbackOutput,
        CallbackOutputTypeEnum,
        CallbackStep,
    )
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep

    approved = CallbackOutput(output_name="approved", output_type=CallbackOutputTypeEnum.Boolean)
    wait = CallbackStep(
        name="WaitForApproval",
        sqs_queue_url=QUEUE_URL,
        inputs={"model": f"s3://{BUCKET}/model.tar.gz"},
        outputs=[approved],
    )
    check = ConditionStep(
        name="Approved",
        conditions=[ConditionEquals(left=wait.properties.Outputs["approved"], right=False)],
        if_steps=[FailStep(name="Rejected", error_message="the model was not approved")],
    )
    return render(session, "corpus-callback", [wait, check])


def _check_job(session: Any) -> Any:
    from sagemaker.mlops.workflow.check_job_config import CheckJobConfig

    return CheckJobConfig(role=ROLE, sagemaker_session=session)


def quality_check(session: Any) -> Any:
    """A data-quality check step whose calculated baseline a later step reads."""
    from sagemaker.core.model_monitor.dataset_format import DatasetFormat
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.quality_check_step import (
        DataQualityCheckConfig,
        QualityCheckStep,
    )

    step = QualityCheckStep(
        name="DataQuality",
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=f"s3://{BUCKET}/baseline.csv",
            dataset_format=DatasetFormat.csv(header=True),
            output_s3_uri=f"s3://{BUCKET}/quality",
        ),
        check_job_config=_check_job(session),
        model_package_group_name="corpus-models",
        skip_check=True,
        register_new_baseline=True,
    )
    report = FailStep(
        name="ShowBaseline",
        error_message=step.properties.CalculatedBaselineStatistics,
        depends_on=[step],
    )
    return render(session, "corpus-quality", [step, report])


def clarify_check(session: Any) -> Any:
    """A data-bias Clarify check step."""
    from sagemaker.core.clarify import BiasConfig, DataConfig
    from sagemaker.mlops.workflow.clarify_check_step import (
        ClarifyCheckStep,
        DataBiasCheckConfig,
    )

    data = DataConfig(
        s3_data_input_path=f"s3://{BUCKET}/data.csv",
        s3_output_path=f"s3://{BUCKET}/clarify",
        label="price",
        headers=["price", "area", "zone"],
        dataset_type="text/csv",
    )
    config = DataBiasCheckConfig(
        data_config=data,
        data_bias_config=BiasConfig(label_values_or_threshold=[1], facet_name="zone"),
    )
    step = ClarifyCheckStep(
        name="DataBias",
        clarify_check_config=config,
        check_job_config=_check_job(session),
        model_package_group_name="corpus-models",
    )
    return render(session, "corpus-clarify", [step])


def emr(session: Any) -> Any:
    """An EMR step on a running cluster, and one on a cluster it creates."""
    from sagemaker.mlops.workflow.emr_step import EMRStep, EMRStepConfig

    running = EMRStep(
        name="SparkOnCluster",
        display_name="Spark on a cluster",
        description="runs a jar on j-1",
        cluster_id="j-1ABCDEFGHIJKL",
        step_config=EMRStepConfig(jar="s3://corpus-bucket/job.jar", args=["--day", "1"]),
    )
    cluster = {
        "Instances": {
            "InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}
            ]
        },
        "ReleaseLabel": "emr-7.1.0",
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
    }
    new = EMRStep(
        name="SparkOnNewCluster",
        display_name="Spark on a new cluster",
        description="creates a cluster",
        cluster_id=None,
        cluster_config=cluster,
        step_config=EMRStepConfig(jar="command-runner.jar", args=["spark-submit", "a.py"]),
    )
    return render(session, "corpus-emr", [running, new])


def emr_serverless(session: Any) -> Any:
    """An EMR Serverless job run on an existing application."""
    from sagemaker.mlops.workflow.emr_serverless_step import (
        EMRServerlessJobConfig,
        EMRServerlessStep,
    )

    job = EMRServerlessJobConfig(
        job_driver={"sparkSubmit": {"entryPoint": f"s3://{BUCKET}/job.py"}},
        execution_role_arn=ROLE,
        execution_timeout_minutes=60,
    )
    step = EMRServerlessStep(
        name="Spark",
        display_name="Spark",
        description="a serverless Spark job",
        job_config=job,
        application_id="00f1abcdefgh0123",
    )
    return render(session, "corpus-emr-serverless", [step])


def hosting(session: Any) -> Any:
    """EndpointConfig, Endpoint and InferenceComponent steps, each reading the one before."""
    from sagemaker.mlops.workflow.endpoint_step import (
        EndpointConfigStep,
        EndpointStep,
    )
    from sagemaker.mlops.workflow.inference_component_step import (
        InferenceComponentStep,
    )

    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "corpus-model",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    config = EndpointConfigStep(
        name="Config",
        step_args=session.create_endpoint_config(
            name="corpus-config", production_variants=[variant]
        ),
    )
    endpoint = EndpointStep(
        name="Endpoint",
        step_args=session.create_endpoint(
            endpoint_name="corpus-endpoint", config_name=config.properties.EndpointConfigName
        ),
    )
    component = InferenceComponentStep(
        name="Component",
        step_args=session.create_inference_component(
            inference_component_name="corpus-component",
            endpoint_name=endpoint.properties.EndpointName,
            variant_name="AllTraffic",
            specification={
                "ModelName": "corpus-model",
                "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
            },
        ),
    )
    return render(session, "corpus-hosting", [config, endpoint, component])


def lineage(session: Any) -> Any:
    """A Lineage step: an artifact, an action and an association between them."""
    from sagemaker.core.lineage.action import Action
    from sagemaker.core.lineage.artifact import Artifact
    from sagemaker.mlops.workflow.lineage_step import (
        LineageAssociation,
        LineageEntityReference,
        LineageStep,
    )

    artifact = Artifact.create(
        artifact_name="training-data",
        source_uri=f"s3://{BUCKET}/train",
        artifact_type="DataSet",
        sagemaker_session=session,
    )
    action = Action.create(
        action_name="approve-model",
        source_uri=f"s3://{BUCKET}/model.tar.gz",
        action_type="Approval",
        sagemaker_session=session,
    )
    association = LineageAssociation(
        LineageEntityReference(name="training-data", type="Artifact"),
        LineageEntityReference(name="approve-model", type="Action"),
        "ContributedTo",
    )
    step = LineageStep(
        name="Track", artifacts=[artifact], actions=[action], associations=[association]
    )
    return render(session, "corpus-lineage", [step])
