"""A run's column lineage uses the columns its preflight probed: `*` over a source sources.yaml does
not describe is unknown at load and exact once the job has run."""

from __future__ import annotations

from model_jobs.compile.lineage import ColumnOrigin
from model_jobs.compile.model_lineage import definition_lineage
from model_jobs.identifiers import TableName
from model_jobs_tests.runtime.incremental_project import MERGE, at


def test_star_over_an_undeclared_source_is_expanded_from_the_probe(p):
    p.create_source([(1, "a", at(0))])
    project = p.write(MERGE, sql="SELECT * FROM {source}\n")
    source = TableName.parse(p.source)

    before = definition_lineage(project)["events"].lineage
    assert before.columns == ()
    assert before.unresolved() == {"*": f"`*` over {source}: its columns are not known"}

    result = p.materialize(project)
    assert result.lineage is not None and result.lineage.unresolved() == {}
    assert [(c.name, c.origins) for c in result.lineage.columns] == [
        (name, (ColumnOrigin(source, name),)) for name in ["ID", "V", "UPDATED_AT"]
    ]
