"""`model-jobs promote`: point one Model Job at another tag by editing its `tag:` in place.

Only the characters of the tag value change: the rest of the file, comments and formatting
included, stays byte for byte as it was, so the review diff is exactly one line. (A round-trip
YAML library re-emits the whole file and can still move whitespace or quotes elsewhere; the
position of the value is all we need, and PyYAML's parser gives it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from model_jobs.errors import CommandError
from model_jobs.specs.loader import JobEntry, SpecSet
from model_jobs.specs.models import LATEST
from model_jobs.versioning.deploy import check_still_valid, load_valid_project
from model_jobs.versioning.files import FileChanges


@dataclass(frozen=True)
class Promotion:
    model: str
    environment: str
    file: Path
    old_tag: str
    new_tag: str
    line: int

    @property
    def changed(self) -> bool:
        return self.old_tag != self.new_tag


def _mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def tag_value_node(text: str, environment: str) -> yaml.ScalarNode:
    # The pure-Python parser: its marks count characters (libyaml counts bytes).
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = _mapping_value(_mapping_value(_mapping_value(root, "jobs"), environment), "tag")
    if not isinstance(node, yaml.ScalarNode):
        raise CommandError(f"jobs.{environment}.tag is not a plain value; edit it by hand")
    return node


def render_tag(tag: str, original: yaml.ScalarNode) -> str:
    """The tag in the style the file used: plain if it stays a string unquoted, else quoted."""
    if original.style in ("'", '"'):
        return f"{original.style}{tag}{original.style}"
    return tag if yaml.safe_load(tag) == tag else f'"{tag}"'


def replace_tag(text: str, environment: str, tag: str) -> tuple[str, int]:
    node = tag_value_node(text, environment)
    start, end = node.start_mark.index, node.end_mark.index
    return text[:start] + render_tag(tag, node) + text[end:], node.start_mark.line + 1


def _job(specs: SpecSet, model: str, environment: str) -> JobEntry:
    if model not in specs.models:
        raise CommandError(f"unknown model {model!r}; known: {', '.join(specs.models) or '(none)'}")
    if environment not in specs.environments:
        raise CommandError(f"unknown environment {environment!r}; known: {', '.join(specs.environments)}")
    job = next((j for j in specs.jobs_of(model) if j.environment == environment), None)
    if job is None:
        raise CommandError(
            f"model {model!r} has no job in {environment!r}: add one under "
            f"jobs: in {specs.root / 'jobs' / f'{model}.yaml'}"
        )
    return job


def promote(root: Path, model: str, environment: str, tag: str) -> Promotion:
    specs = load_valid_project(root).specs
    job = _job(specs, model, environment)
    tags = [t.name for t in specs.models[model].tags]
    if tag == LATEST and environment != specs.design_environment:
        raise CommandError(
            f"'latest' is only allowed in the design environment ({specs.design_environment}); "
            f"choose a tag: {', '.join(tags)}"
        )
    if tag != LATEST and tag not in tags:
        raise CommandError(
            f"model {model!r} has no tag {tag!r} (see {specs.models[model].directory / 'tags.lock'}); "
            f"choose one of: {', '.join(tags)}, or deploy a new one with `model-jobs deploy`"
        )
    text = job.file.read_text(encoding="utf-8")
    new_text, line = replace_tag(text, environment, tag)
    promotion = Promotion(model, environment, job.file, job.spec.tag, tag, line)
    if not promotion.changed:
        return promotion
    changes = FileChanges()
    try:
        changes.write(job.file, new_text)
        # E.g. the job's source_mapping names a table the promoted tag's SQL does not read.
        check_still_valid(root, f"promoting {model}@{environment} to {tag!r}")
    except BaseException:
        changes.undo()
        raise
    return promotion
