"""Shared pytest set-up.

- The browser tests (tests/test_browser.py) share one JupyterLab and one Chromium and must run in one
  xdist worker: they carry ``@pytest.mark.xdist_group("browser")``. ``pytest -n 2`` (what
  ``python3 kit.py test`` runs) distributes with xdist's ``load`` mode, which ignores groups, so ``load``
  becomes ``loadgroup`` here: the same distribution for every other test (each is its own group), the
  ``browser`` group on a single worker. An explicit ``--dist`` other than ``load`` is left alone.
- xdist 3.8 names a grouped test ``<nodeid>@<group>`` by assigning ``item._nodeid``, which pytest 9 no
  longer reads (a node's id is ``item._id``): the workers add the suffix themselves, once.
- The outcome of each test phase is kept on the test item (``item.rep_call``), so that a fixture can
  save a screenshot when a browser test failed.
"""

from __future__ import annotations

import pytest


def pytest_configure(config):
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: group tests if the controller schedules by group
        if workerinput.get("cn_dist") == "loadgroup":
            config.option.loadgroup = True
    elif getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):  # xdist, on the controller: pass the distribution mode to each worker
    node.workerinput["cn_dist"] = node.config.option.dist


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    for item in items:
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                         for m in item.iter_markers("xdist_group")})
        if not groups or item.nodeid.rfind("@") > item.nodeid.rfind("]"):
            continue  # not grouped, or xdist has named it already
        nodeid = f"{item.nodeid}@{'_'.join(groups)}"
        node_id = getattr(item, "_id", None)
        if node_id is not None and hasattr(type(node_id), "parse"):
            item._id = type(node_id).parse(nodeid)
        else:
            item._nodeid = nodeid


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
