"""The staged code the template ships is where `diff` looks for it in a cloud assembly."""

from __future__ import annotations

import re

from pipeline_definition.diff.templates import asset_code
from testsupport.synthesis import Synthesis

CODE_URI = re.compile(r"/code/(?P<bundle>[a-z_]+)/(?P<digest>[0-9a-f]{16})/")


def test_every_bundle_the_definition_names_is_found_in_the_assembly(synthesis: Synthesis) -> None:
    named = {(m["bundle"], m["digest"]) for m in CODE_URI.finditer(synthesis.pipeline_body)}
    code = asset_code(synthesis.outdir)

    assert len(named) == 4  # processing, training, sm_drivers, evaluation
    assert {(bundle, digest) for bundle, digest in named if code.find(bundle, digest)} == named
