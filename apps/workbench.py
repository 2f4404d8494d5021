"""The client workbench's widgets (Voilà app ``apps/client_workbench.ipynb``).

Only wiring: every figure comes from :mod:`cnkit.calculate.client`, :mod:`cnkit.templates`,
:mod:`cnkit.show` and :mod:`cnkit.report.client`. Uploads are read in memory; files are written
only into the output folder shown on the page (``CNKIT_APP_OUT``, default ``~/cnkit-clients``).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
import re
from pathlib import Path

import ipywidgets as w
import pandas as pd

from cnkit.calculate import client as cl
from cnkit.errors import CnkitError
from cnkit.report import client as rep
from cnkit.show.base import png_bytes
from cnkit.show.emissions import co2_by_energy_chart, monthly_chart, year_on_year_chart
from cnkit.show.roadmap import roadmap_chart
from cnkit.show.visualize import pareto_chart
from cnkit.templates import bills_template, read_uploads, wide_template

STEPS = ["1 会社と請求書", "2 CO2の見える化", "3 どこから減らすか", "4 打ち手と補助金", "5 ロードマップ", "6 出力"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def out_dir() -> Path:
    return Path(os.environ.get("CNKIT_APP_OUT") or Path.home() / "cnkit-clients").expanduser()


def _link(data: bytes, name: str, label: str, mime: str = XLSX) -> str:
    b64 = base64.b64encode(data).decode()
    return f'<a download="{html.escape(name)}" href="data:{mime};base64,{b64}" class="cn-download">{html.escape(label)}</a>'


def _message(text: str, kind: str = "error") -> str:
    colour = {"error": "#b00020", "warn": "#8a5a00", "ok": "#1b5e20"}[kind]
    lines = "<br>".join(html.escape(t) for t in str(text).splitlines())
    return f'<div class="cn-{kind}" style="color:{colour};border-left:4px solid {colour};padding:4px 8px">{lines}</div>'


def _table(df: pd.DataFrame, digits: int = 1) -> str:
    return df.round(digits).to_html(classes="cn-table", border=0, na_rep="—", float_format=lambda v: f"{v:,.{digits}f}")


def _img(fig) -> w.Image:
    return w.Image(value=png_bytes(fig), format="png", layout=w.Layout(max_width="900px"))


class Workbench:
    def __init__(self) -> None:
        s = {"description_width": "11em"}
        wide = w.Layout(width="32em")
        self.name = w.Text(value="", description="会社名", style=s, layout=wide)
        self.prefecture = w.Text(value="", description="都道府県", style=s, layout=wide)
        self.city = w.Text(value="", description="市区町村", style=s, layout=wide)
        self.sector = w.Text(value="", description="業種", style=s, layout=wide)
        self.employees = w.BoundedIntText(value=0, min=0, max=100000, description="従業員数（人）", style=s)
        self.capital = w.BoundedIntText(value=0, min=0, max=10**12, description="資本金（円）", style=s)
        self.vehicles = w.BoundedIntText(value=0, min=0, max=10000, description="車両（台）", style=s)
        self.pv_kw = w.BoundedFloatText(value=0, min=0, max=10000, description="屋根の太陽光（kW）", style=s)
        self.fy = w.Dropdown(options=[], description="基準年度", style=s)
        self.supplier = w.Dropdown(options=[], description="電力会社・メニュー", style=s, layout=wide)
        self.upload = w.FileUpload(accept=".xlsx,.csv", multiple=True, description="請求書を選ぶ")
        self.upload.add_class("cn-upload")
        self.status = w.HTML()
        self.status.add_class("cn-status")
        templates = ("<p>テンプレート: " + _link(bills_template(), "請求書テンプレート.xlsx", "請求書の形（1行 = 1枚）")
                     + " ／ " + _link(wide_template(), "12か月の表テンプレート.xlsx", "12か月の表（1行 = 1エネルギー）") + "</p>")
        self.outs = [w.Output() for _ in STEPS[1:]]
        self.co2_box, self.pareto_box, self.measure_box, self.roadmap_box = (w.VBox() for _ in range(4))
        self.checks: dict[str, w.Checkbox] = {}
        self.out_path = w.Text(value=str(out_dir()), description="出力フォルダ", style=s, layout=w.Layout(width="48em"))
        self.make = w.Button(description="Excel と PDF を作る", button_style="primary", icon="file")
        self.make.add_class("cn-make")
        self.made = w.HTML()
        self.made.add_class("cn-made")
        step1 = w.VBox([w.HTML("<h3>会社の情報</h3>"), self.name, self.prefecture, self.city, self.sector,
                        self.employees, self.capital, self.vehicles, self.pv_kw,
                        w.HTML("<h3>請求書（Excel か CSV）</h3><p>ファイルはこのパソコンの中だけで読みます。どこにも送りません。</p>"),
                        w.HTML(templates), self.upload, self.fy, self.supplier, self.status])
        step6 = w.VBox([w.HTML("<p>次のフォルダだけに書き出します。</p>"), self.out_path, self.make, self.made])
        self.tabs = w.Tab(children=[step1, self.co2_box, self.pareto_box, self.measure_box, self.roadmap_box, step6])
        for i, t in enumerate(STEPS):
            self.tabs.set_title(i, t)
        self.state: dict = {}
        self.stale: set[int] = set()
        self.table = None
        self._quiet = False
        self.upload.observe(self._on_upload, "value")
        self.fy.observe(self._on_fy, "value")
        for x in (self.supplier, self.vehicles, self.pv_kw, self.prefecture, self.city, self.name,
                  self.sector, self.employees):
            x.observe(lambda _: self.refresh(), "value")
        self.make.on_click(lambda _: self._write())
        self.tabs.observe(self._on_tab, "selected_index")

    # -- inputs
    def facts(self) -> cl.ClientFacts:
        return cl.ClientFacts(name=self.name.value.strip() or "お客さま", prefecture=self.prefecture.value.strip(),
                              city=self.city.value.strip(), sector=self.sector.value.strip(),
                              employees=int(self.employees.value), capital_yen=float(self.capital.value),
                              supplier=self.supplier.value or "default", fiscal_year=int(self.fy.value or 0),
                              vehicles=int(self.vehicles.value), pv_kw=float(self.pv_kw.value))

    def load(self, files: dict[str, bytes]) -> None:
        """Read uploaded files (name → bytes) and update every step."""
        self.table = None
        self.state = {}
        try:
            up = read_uploads(files)
        except CnkitError as e:
            self.status.value = _message(e)
            self._clear("請求書を読み込むと表示します。")
            return
        self.upload_result = up
        years = cl.fiscal_years(up.bills.table)
        notes = [f"読み込みました: {'、'.join(files)}（{up.layout}、{len(up.bills.table)} 件、"
                 f"{years[0]}〜{years[-1]}年度、読み替え {len(up.bills.changes)} 件）"]
        self.status.value = _message("\n".join(notes), "ok") + (_message("\n".join(up.missing), "warn") if up.missing else "")
        self.table = up.bills.table
        self._quiet = True
        try:
            self.fy.options = [(f"{y}年度", y) for y in years]
            self.fy.value = years[-1]
            self._suppliers()
        except CnkitError as e:
            self.status.value += _message(e)
            return
        finally:
            self._quiet = False
        self.refresh()

    def _suppliers(self) -> None:
        options = cl.supplier_options(int(self.fy.value))
        if not options:
            raise CnkitError(f"{self.fy.value}年度に使える電力の排出係数が係数の表（electricity_factors.csv）にありません。"
                             "別の基準年度を選んでください。")
        current = self.supplier.value
        self.supplier.options = list(options.items())
        self.supplier.value = current if current in options.values() else next(iter(options.values()))

    def _on_fy(self, _) -> None:
        if self._quiet or not self.fy.value:
            return
        self._quiet = True
        try:
            self._suppliers()
        except CnkitError as e:
            self.status.value = _message(e)
            return
        finally:
            self._quiet = False
        self.refresh()

    def _on_upload(self, change) -> None:
        files = {}
        for f in change["new"]:
            files[f["name"]] = bytes(f["content"])
        if files:
            self.load(files)

    # -- steps
    def _clear(self, text: str) -> None:
        for box in (self.co2_box, self.pareto_box, self.measure_box, self.roadmap_box):
            box.children = [w.HTML(_message(text, "warn"))]

    def _guard(self, box, fn) -> bool:
        try:
            box.children = fn()
            return True
        except CnkitError as e:
            box.children = [w.HTML(_message(e))]
        except Exception as e:  # never a traceback on the page
            box.children = [w.HTML(_message(f"計算できませんでした（{type(e).__name__}）。入力を確かめてください。"))]
        return False

    def refresh(self) -> None:
        """An input changed: compute again (cheap), then draw the step on screen; the other steps are drawn
        when they are opened (each carries charts)."""
        if self._quiet or self.table is None or not self.fy.value:
            return
        self.state = {}
        try:
            f = self.facts()
            r = self.state["result"] = cl.co2(self.table, f)
            ms = self.state["measures"] = cl.candidate_measures(r, f)
            self.state["table"] = cl.measures_table(r, f, ms)
            self._checkboxes()
        except CnkitError as e:
            self.state = {}
            self._clear(str(e))
            return
        self.stale = {1, 2, 3, 4}
        self._roadmap_state()
        self._draw(self.tabs.selected_index)

    def _on_tab(self, change) -> None:
        self._draw(change["new"])

    def _draw(self, i) -> None:
        if i not in self.stale or "result" not in self.state:
            return
        self.stale.discard(i)
        box, fn = {1: (self.co2_box, self._co2), 2: (self.pareto_box, self._pareto), 3: (self.measure_box, self._measures),
                   4: (self.roadmap_box, self._roadmap)}[i]
        self._guard(box, fn)

    def _co2(self):
        r = self.state["result"]
        head = (f"<h3>{r['fiscal_year']}年度の CO2（Scope 1＋2）: <span class='cn-total'>{r['total_t']:,.1f}</span> t-CO2</h3>"
                f"<p>Scope 1 {r['scope1_t']:,.1f} t-CO2 ／ Scope 2 {r['scope2_t']:,.1f} t-CO2 ／ "
                f"原油換算 {r['crude_kl']:,.1f} kL</p>")
        years = cl.fiscal_years(self.table)
        parts = [w.HTML(head), _img(co2_by_energy_chart(r["base"])), _img(monthly_chart(r["em"], r["fiscal_year"]))]
        if len(years) > 1:
            parts.append(_img(year_on_year_chart(r["em"], (years[-2], years[-1]) if r["fiscal_year"] == years[-1]
                                                 else (r["fiscal_year"], years[-1]))))
        parts += [w.HTML("<h4>Scope別</h4>" + _table(r["by_scope"].rename(index=lambda k: f"Scope {k}", columns={"co2_t": "CO2（t-CO2）", "gj": "GJ", "crude_kl": "原油換算（kL）"}))),
                  w.HTML("<h4>拠点別</h4>" + _table(r["by_site"].rename(columns={"co2_t": "CO2（t-CO2）", "gj": "GJ", "crude_kl": "原油換算（kL）"}))),
                  w.HTML("<h4>原油換算と基準</h4>" + _table(r["thresholds"].drop(columns=["holds"]))),
                  w.HTML("<h4>使った係数（年度と出典）</h4>" + _table(rep.factors_frame(r), 6))]
        return parts

    def _pareto(self):
        t = cl.pareto(self.state["result"])
        return [_img(pareto_chart(t, "拠点・エネルギー別のCO2")), w.HTML(_table(t, 3))]

    def _checkboxes(self) -> None:
        old = {k: c.value for k, c in self.checks.items()}
        self.checks = {}
        for mid, row in self.state["table"].iterrows():
            c = w.Checkbox(value=old.get(mid, not mid.startswith(("heat_pump", "ev"))), description=row["対策"],
                           indent=False, layout=w.Layout(width="40em"))
            c.observe(lambda _: self.refresh_roadmap(), "value")
            self.checks[mid] = c

    def _measures(self):
        t = self.state["table"]
        shown = t[["対策", "CO2削減（t-CO2/年）", "削減額（円/年）", "電力の増減（kWh/年）", "投資額（円）", "補助金（円）",
                   "回収年数（年）", "使える補助金"]].set_index("対策")
        notes = "".join(f"<li><b>{html.escape(r['対策'])}</b>: {html.escape(r['根拠'])}"
                        + (f"<br>補助金の判定: {html.escape(r['補助金の判定の理由'])}" if r["補助金の判定の理由"] else "")
                        + "</li>" for _, r in t.iterrows())
        return [w.HTML("<p>ロードマップに入れる対策にチェックを入れてください（削減量・費用は目安。導入前に見積もりで確かめます）。</p>"),
                *self.checks.values(), w.HTML(_table(shown) + f"<h4>根拠と補助金の判定の理由</h4><ul>{notes}</ul>")]

    def _roadmap_state(self) -> None:
        self.state.pop("roadmap", None)
        self.state.pop("roadmap_error", None)
        try:
            chosen = [k for k, c in self.checks.items() if c.value]
            self.state["roadmap"] = cl.client_roadmap(self.state["result"], self.facts(), self.state["measures"], chosen,
                                                      self.state["table"])
        except CnkitError as e:
            self.state["roadmap_error"] = str(e)

    def refresh_roadmap(self) -> None:
        """A measure was ticked: the roadmap again (drawn now if on screen, else when opened)."""
        if "result" not in self.state:
            return
        self._roadmap_state()
        self.stale.add(4)
        self._draw(self.tabs.selected_index)

    def _roadmap(self):
        if "roadmap_error" in self.state:
            raise CnkitError(self.state["roadmap_error"])
        rm = self.state["roadmap"]
        k = rm.key_figures()
        head = (f"<p>{k['last_fy']}年度の排出量 <span class='cn-last'>{k['emissions_last_t']:,.1f}</span> t-CO2"
                f"（基準年度比 {k['reduction_rate_last']:.1%} 削減）、累積キャッシュフロー {k['cumulative_cash_flow_last_yen']:,.0f} 円</p>")
        return [w.HTML(head), _img(roadmap_chart(rm)), w.HTML(_table(rm.template()))]

    # -- output
    def _write(self) -> None:
        if "roadmap" not in self.state:
            self.made.value = _message("先に請求書を読み込み、ロードマップまで進めてください。")
            return
        try:
            folder = Path(self.out_path.value).expanduser()
            folder.mkdir(parents=True, exist_ok=True)
            f = self.facts()
            stem = re.sub(r'[\\/:*?"<>|\s]+', "_", f.name) + f"_{dt.date.today():%Y%m%d}"
            x = rep.write_excel(folder / f"{stem}.xlsx", f, self.state["result"], self.state["table"],
                                self.state["roadmap"], self.table)
            p = rep.write_pdf(folder / f"{stem}.pdf", f, self.state["result"], self.state["table"], self.state["roadmap"],
                              self.upload_result.missing)
        except CnkitError as e:
            self.made.value = _message(e)
            return
        except OSError as e:
            self.made.value = _message(f"出力フォルダ「{self.out_path.value}」に書けません（{e.strerror}）。")
            return
        self.made.value = (_message(f"書き出しました: {x}\n{p}", "ok") + "<p>"
                           + _link(x.read_bytes(), x.name, "Excel をダウンロード") + " ／ "
                           + _link(p.read_bytes(), p.name, "PDF をダウンロード", "application/pdf") + "</p>")

    def widget(self):
        return self.tabs
