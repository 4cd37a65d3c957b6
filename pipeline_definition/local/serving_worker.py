"""The serving side of a local batch transform: the model's own inference code, in a process.

    python -m pipeline_definition.local.serving_worker <job.json>

It does what the serving image does for each request of a transform job: import the model's
entry module (SAGEMAKER_PROGRAM in SAGEMAKER_SUBMIT_DIRECTORY), load the model once with
`model_fn(model_dir)`, and answer each request with `input_fn(body, content_type)`,
`predict_fn(data, model)` and `output_fn(prediction, accept)` (or one `transform_fn`). The
job file (written by `transform.py`) says how to read the inputs: decompress, split into
records (SplitType None or Line), batch them into requests (BatchStrategy SingleRecord or
MultiRecord, at most MaxPayloadInMB each) and assemble the responses (AssembleWith None or
Line) into one `.out` file per input object.

Standard library only: it runs in the job's environment, beside the model's code.
"""

from __future__ import annotations

import gzip
import importlib
import json
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HANDLERS = ("input_fn", "predict_fn", "output_fn")


class ServingError(Exception):
    """The request cannot be served as the job asks; the message is the job's failure reason."""


@dataclass(frozen=True)
class Handlers:
    """The inference functions of the model's entry module."""

    model_fn: Callable[[str], Any]
    invoke: Callable[[Any, bytes, str | None, str | None], Any]

    @classmethod
    def of(cls, module: ModuleType) -> Handlers:
        """The module's handlers; ServingError naming what is missing."""
        model_fn = getattr(module, "model_fn", None)
        if not callable(model_fn):
            raise ServingError(
                f"{module.__name__} defines no model_fn: the serving image's default loader "
                "is not available locally"
            )
        transform_fn = getattr(module, "transform_fn", None)
        if callable(transform_fn):
            return cls(model_fn, transform_fn)
        missing = [name for name in HANDLERS if not callable(getattr(module, name, None))]
        if missing:
            raise ServingError(
                f"{module.__name__} defines no {', '.join(missing)} (nor transform_fn): the "
                "serving image's default handlers are not available locally"
            )
        input_fn, predict_fn, output_fn = (getattr(module, name) for name in HANDLERS)

        def invoke(model: Any, body: bytes, content_type: str | None, accept: str | None) -> Any:
            return output_fn(predict_fn(input_fn(body, content_type), model), accept)

        return cls(model_fn, invoke)


def response_bytes(response: Any) -> bytes:
    """A handler's response as bytes: bytes, text, or the (body, content type) some return."""
    if isinstance(response, tuple) and response:
        response = response[0]
    if isinstance(response, bytes | bytearray):
        return bytes(response)
    if isinstance(response, str):
        return response.encode("utf-8")
    raise ServingError(f"the handler returned {type(response).__name__}, not bytes or text")


def records(data: bytes, split_type: str) -> list[bytes]:
    """The records of one input object: the whole object, or its lines (newlines kept)."""
    if split_type == "Line":
        return [line for line in data.splitlines(keepends=True) if line.strip()]
    return [data]


def requests(
    found: Sequence[bytes], strategy: str, max_payload: int, source: str
) -> Iterator[bytes]:
    """Records batched into request bodies, as BatchStrategy and MaxPayloadInMB ask."""
    batch: list[bytes] = []
    size = 0
    for record in found:
        if len(record) > max_payload:
            raise ServingError(
                f"{source}: a record of {len(record):,} bytes is larger than MaxPayloadInMB "
                f"({max_payload:,} bytes)"
            )
        if batch and (strategy != "MultiRecord" or size + len(record) > max_payload):
            yield b"".join(batch)
            batch, size = [], 0
        batch.append(record)
        size += len(record)
    if batch:
        yield b"".join(batch)


def assemble(responses: Sequence[bytes], assemble_with: str) -> bytes:
    """The output object: the responses as they are, or one per line (AssembleWith Line)."""
    if assemble_with != "Line":
        return b"".join(responses)
    return b"".join(r if r.endswith(b"\n") else r + b"\n" for r in responses)


def transform_file(
    job: dict[str, Any], handlers: Handlers, model: Any, item: dict[str, str]
) -> int:
    """Serve every request of one input object; write its `.out`; return how many requests."""
    source = Path(item["input"])
    data = source.read_bytes()
    if job.get("compression") == "Gzip":
        data = gzip.decompress(data)
    bodies = requests(
        records(data, job["split_type"]), job["batch_strategy"], job["max_payload"], source.name
    )
    responses = [
        response_bytes(handlers.invoke(model, body, job.get("content_type"), job.get("accept")))
        for body in bodies
    ]
    output = Path(item["output"])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(assemble(responses, job["assemble_with"]))
    return len(responses)


def load_handlers(code_dir: str, program: str) -> Handlers:
    """Import the entry module from the code folder, as the serving image does."""
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    name = program.removesuffix(".py")
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        raise ServingError(f"cannot import {program} from {code_dir}: {error}") from error
    return Handlers.of(module)


def run(job: dict[str, Any]) -> int:
    """Serve the whole job; return the number of requests."""
    handlers = load_handlers(job["code_dir"], job["program"])
    model = handlers.model_fn(job["model_dir"])
    served = 0
    for item in job["inputs"]:
        served += transform_file(job, handlers, model, item)
        print(f"transformed {Path(item['input']).name}")
    return served


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 when every request was served, 1 (with the reason written) otherwise."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    job = json.loads(Path(arguments[0]).read_text())
    try:
        served = run(job)
    except Exception as error:  # the model's code may raise anything; it fails the job
        traceback.print_exc()
        reason = (
            f"{type(error).__name__}: {error}".splitlines()[0]
            if str(error)
            else type(error).__name__
        )
        Path(job["failure_file"]).parent.mkdir(parents=True, exist_ok=True)
        Path(job["failure_file"]).write_text(reason)
        return 1
    print(f"served {served} request(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
