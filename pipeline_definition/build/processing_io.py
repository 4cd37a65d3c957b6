"""The processing jobs' S3 inputs and outputs, as the builder declares them."""

from __future__ import annotations

from sagemaker.core.shapes import (
    ProcessingInput,
    ProcessingOutput,
    ProcessingS3Input,
    ProcessingS3Output,
)


def s3_input(
    name: str, uri: object, local_path: str, data_type: object = "S3Prefix", sharded: bool = False
) -> ProcessingInput:
    """A File-mode input: every instance gets all of it, or (sharded) a share of its objects."""
    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(
            s3_uri=uri,
            local_path=local_path,
            s3_data_type=data_type,
            s3_input_mode="File",
            s3_data_distribution_type="ShardedByS3Key" if sharded else "FullyReplicated",
        ),
    )


def s3_output(name: str, uri: object, local_path: str) -> ProcessingOutput:
    """An output uploaded once the job ends."""
    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(s3_uri=uri, local_path=local_path, s3_upload_mode="EndOfJob"),
    )
