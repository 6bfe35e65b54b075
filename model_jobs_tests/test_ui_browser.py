"""The Dagster UI as a person meets it, in a real browser (Playwright driving Debian's Chromium),
against `model-jobs dev` on the demo: the asset graph with every model and its environment
partitions; one environment launched from the asset's Materialize dialog, its materialization
showing tag, compiled SQL and rows; the Automation page with the demo's schedules and sensors
running; a run of `model-jobs run` reading like any other run; a condition's skip reason on the
asset; a failing source check's sample rows; a column followed back to its raw table.

Screenshots of each step go to .screenshots/ (git-ignored); docs/ keeps three of them for the README.
`.ci/run` installs Chromium when it is missing; elsewhere, MODEL_JOBS_CHROMIUM names another binary.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from model_jobs_tests.conftest import REPO
from model_jobs_tests.test_dev_end_to_end import DevServer, graphql, rows_in, running_dev, wait_for
from model_jobs_tests.test_triggers_end_to_end import _finished, _instigators, _launch

CHROMIUM = os.environ.get("MODEL_JOBS_CHROMIUM", "/usr/bin/chromium")
# Root needs no sandbox; the rest keep Chromium off the network this machine does not have (its
# background connections would be refused, many at a time).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
CHROMIUM_FLAGS += ["--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = REPO / ".screenshots"
MODELS = ["customers_dim", "orders_enriched", "customer_ltv", "order_status"]
ENVIRONMENTS = ["marketing_dev", "marketing_prd", "sandbox"]
TIMEOUT_MS = 60_000  # two shared cores: the UI's first render of a page can take a while


@pytest.fixture
def server(tmp_path) -> Iterator[DevServer]:
    with running_dev(tmp_path) as dev:
        wait_for(
            lambda: len(graphql(dev.ui_port, "{ assetNodes { id } }")["assetNodes"]) > 0,
            timeout=240,
            what=f"the Dagster UI; log:\n{dev.log.read_text() if dev.log.exists() else ''}",
        )
        yield dev


@pytest.fixture
def page(server: DevServer) -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's `chromium` package (.ci/run does), or set MODEL_JOBS_CHROMIUM"
        )
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            tab = browser.new_page(
                viewport={"width": 1400, "height": 900}, base_url=f"http://127.0.0.1:{server.ui_port}"
            )
            tab.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            # A fresh instance asks to join the Dagster community, on whichever page it opens and
            # sometimes only after the page has settled: whenever the dialog covers the page before
            # an action or an assertion, Skip it.
            tab.add_locator_handler(tab.get_by_role("button", name="Skip"), lambda skip: skip.click())
            yield tab
        finally:
            browser.close()


def visit(page: Page, path: str) -> None:
    """Open a page of the UI (the community dialog is skipped by the page's locator handler)."""
    page.goto(path)
    page.wait_for_load_state("networkidle")


def shot(page: Page, name: str) -> None:
    page.wait_for_timeout(400)  # for the picture only: let a dialog finish fading in
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def model_jobs_command(server: DevServer, *args: str) -> str:
    """A `model-jobs` command against the dev server's instance and warehouse; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "model_jobs.cli", *args], cwd=REPO, env=server.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.e2e
def test_the_demo_in_a_browser(server: DevServer, page: Page):
    # 1. The asset graph: every model, each with its three environment partitions.
    visit(page, "/locations/model_jobs/asset-groups/marketing")
    for model in MODELS:
        expect(page.get_by_text(model, exact=True).first).to_be_visible()
    expect(page.get_by_text("3 partitions", exact=True)).to_have_count(len(MODELS))
    shot(page, "1-asset-graph")
    visit(page, "/assets/customers_dim?view=partitions")
    for environment in ENVIRONMENTS:
        expect(page.get_by_text(environment, exact=True).first).to_be_visible()

    # 2. Materialize one environment from the asset's dialog, as a person does.
    visit(page, "/assets/customers_dim")
    page.get_by_role("button", name="Materialize…").first.click()
    dialog = page.locator(".dagster-dialog")
    dialog.get_by_text("Select a partition or create one").click()
    page.keyboard.type("sandbox")
    page.locator(".dagster-popover").get_by_text("sandbox", exact=True).first.click()
    page.keyboard.press("Escape")
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    shot(page, "2-materialize-sandbox")
    dialog.get_by_role("button", name="Launch 1 run").click()
    view = page.get_by_role("link", name="View", exact=True).first  # the "Launched run" toast's
    expect(view).to_be_visible()
    run_id = (view.get_attribute("href") or "").rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", run_id), view.get_attribute("href")
    assert wait_for(lambda: _finished(server.ui_port, run_id), timeout=240, what="the launched run") == "SUCCESS"
    visit(page, f"/runs/{run_id}")
    expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible()
    visit(page, "/assets/customers_dim?view=events&partition=sandbox")
    expect(page.get_by_text(f"Partition sandbox materialized in run {run_id[:8]}")).to_be_visible()
    events = page.locator("main") if page.locator("main").count() else page.locator("body")
    text = events.inner_text()
    assert 'CREATE OR REPLACE TABLE "SANDBOX"."MARKETING"."CUSTOMERS_DIM"' in text
    written = re.search(r"rows_written\s+(\d+)", text)
    assert written, text[:2000]
    assert int(written.group(1)) == rows_in(server.snowflake_port, "SANDBOX.MARKETING.CUSTOMERS_DIM") > 0
    assert re.search(r"\btag\s+sprint-42\b", text)  # the sandbox's tag (job_specs/jobs/customers_dim.yaml)
    shot(page, "3-materialization")

    # 3. Automation: the demo's schedules and sensors, each switched on.
    instigators = _instigators(server.ui_port)
    assert instigators and set(instigators.values()) == {"RUNNING"}, instigators
    visit(page, "/automation")
    for name in instigators:
        # Its row: the innermost element holding the name and two checkboxes (select, and the switch).
        row = page.locator(
            f"xpath=//*[count(.//input[@type='checkbox'])=2][.//*[normalize-space(text())='{name}']]"
        ).last
        expect(row.get_by_role("checkbox").last).to_be_checked()
    shot(page, "4-automation")

    # 4. A run of `model-jobs run` reads like any other: its job, its partition, Re-execute.
    line = model_jobs_command(server, "run", "customers_dim", "--env", "marketing_dev").strip().splitlines()[-1]
    cli_run = line.split()[-1]
    visit(page, f"/runs/{cli_run}")
    expect(page.get_by_text("customers_dim_job").first).to_be_visible()
    expect(page.get_by_text("partition: marketing_dev").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Re-execute all")).first).to_be_enabled()
    shot(page, "5-command-line-run")

    # 5. A condition unmet: order_status@marketing_prd needs orders loaded within a day; the
    # seeded ones are days old. The reason is on the asset's partition.
    skipped = model_jobs_command(server, "run", "order_status", "--env", "marketing_prd")
    reason = re.search(r"skipped, nothing written: (.+?)  \(run", skipped)
    assert reason, skipped
    visit(page, "/assets/order_status?view=events&partition=marketing_prd")
    expect(page.get_by_text("Skipped (run", exact=False).first).to_be_visible()
    expect(page.get_by_text(reason.group(1)).first).to_be_visible()
    shot(page, "6-skipped")

    # 6. A failing source check: the sandbox's sample has one order in a status nobody accepts.
    source = {"path": ["datalake_dev", "raw", "orders"]}
    check = {"assetKey": source, "name": "accepted_values_status"}
    checks_run = _launch(server.ui_port, "__ASSET_JOB", "sandbox", assets=[], checks=[check])
    assert wait_for(lambda: _finished(server.ui_port, checks_run), timeout=240, what="the check run") == "SUCCESS"
    visit(page, "/assets/datalake_dev/raw/orders?view=checks&checkDetail=accepted_values_status")
    expect(
        page.get_by_text("DATALAKE_DEV.SAMPLE.ORDERS: 1 of 46 rows fail accepted_values_status").first
    ).to_be_visible()
    page.get_by_text("[Show JSON]").first.click()
    sample = page.locator(".dagster-dialog")
    expect(sample).to_contain_text('"STATUS": "LOST"')
    shot(page, "7-source-check-sample")

    # 7. Column lineage: from customer_ltv's LIFETIME_VALUE, through orders_enriched, to the raw
    # order lines, by the links in each asset's Columns table (docs/lineage.md).
    visit(page, "/assets/customer_ltv")
    column = page.get_by_role("row", name=re.compile(r"^LIFETIME_VALUE\b", re.IGNORECASE)).first
    expect(column).to_contain_text("ORDER_TOTAL")
    shot(page, "8-column-lineage")
    column.get_by_role("link", name="orders_enriched").click()
    column = page.get_by_role("row", name=re.compile(r"^ORDER_TOTAL\b", re.IGNORECASE)).first
    expect(column).to_contain_text("QUANTITY, UNIT_PRICE")
    column.get_by_role("link", name="datalake_dev/raw/order_items").click()
    expect(page.get_by_role("row", name=re.compile(r"^UNIT_PRICE\b", re.IGNORECASE)).first).to_be_visible()
