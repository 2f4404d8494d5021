"""The supplier picker: type part of a supplier's name (東電, 関電, ｷｭｳﾃﾞﾝ …), choose the company and menu.

No arithmetic here: the search is :func:`cnkit.suppliers.search_suppliers`, the fallback to the default
factor :func:`cnkit.suppliers.resolve_supplier`. ``value`` is the chosen supplier key.
"""

from __future__ import annotations

import html

import ipywidgets as w
import traitlets

from ..errors import CnkitError
from ..suppliers import resolve_supplier, search_suppliers, supplier_table
from .common import message


class SupplierPicker(w.VBox):
    """A search box and a list of the suppliers of ``emissions_fy`` (Japanese names); ``value`` is the key."""

    value = traitlets.Unicode()

    def __init__(self, emissions_fy: int, supplier: str = "default", description: str = "電力会社"):
        self.emissions_fy = emissions_fy
        table = supplier_table(emissions_fy)
        self._labels = dict(zip(table["supplier"], table["label"]))
        if supplier not in self._labels:  # a Japanese message, not the Dropdown's TraitError
            raise CnkitError(f"{emissions_fy}年度の電力会社「{supplier}」の係数がデータにありません。"
                             f"使える電力会社: {'、'.join(self._labels) or 'なし（係数のある年度を指定してください）'}。")
        self.search = w.Text(placeholder="名前で探す（例: 関電、東京電力、九電）", description="検索",
                             continuous_update=True, style={"description_width": "90px"},
                             layout=w.Layout(width="420px"))
        self.choice = w.Dropdown(options=[(v, k) for k, v in self._labels.items()], value=supplier,
                                 description=description, style={"description_width": "90px"},
                                 layout=w.Layout(width="520px"))
        self.note = w.HTML()
        super().__init__([self.search, self.choice, self.note])
        self.value = supplier
        self.search.observe(self._search, names="value")
        self.choice.observe(self._chosen, names="value")
        self.observe(self._set, names="value")

    def _search(self, change) -> None:
        text = change["new"]
        hits = search_suppliers(text, self.emissions_fy) if text.strip() else None
        if hits is not None and hits.empty:
            pick = resolve_supplier(text, self.emissions_fy)  # unknown name → the default factor, said in Japanese
            self.choice.options = [(pick.label, pick.key)]
            self.note.value = message(pick.note)
        else:
            options = list(self._labels.items()) if hits is None else list(zip(hits["supplier"], hits["label"]))
            self.choice.options = [(label, key) for key, label in options]
            self.note.value = "" if hits is None else f"<small>{len(options)} 件: {html.escape(text)}</small>"
        self.value = self.choice.value

    def _chosen(self, change) -> None:
        if change["new"] is not None:
            self.value = change["new"]

    def _set(self, change) -> None:
        key = change["new"]
        if key not in self._labels:
            self.note.value = message(f"{self.emissions_fy}年度の電力会社「{key}」の係数がデータにありません。")
            self.value = change["old"]
            return
        if key not in dict(self.choice.options).values():
            self.search.value = ""  # show every supplier again
        self.choice.value = key


def supplier_picker(emissions_fy: int = 2025, supplier: str = "default") -> SupplierPicker:
    """The supplier picker (also used inside the CO2 calculator)."""
    return SupplierPicker(emissions_fy, supplier)
