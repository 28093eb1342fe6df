"""Markdown table and bar chart of benchmark records."""

import os

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_rnn_kit.diagnostics.fonts import plot_font_families


def markdown_table(records) -> str:
    lines = [
        "| benchmark | phase | size [B, T, I, U] or data | kit ms | baseline ms "
        "| speedup |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in records:
        lines.append(
            f"| {r['name']} | {r['phase']} | {r['size']} | {r['kit_s'] * 1e3:.2f} "
            f"| {r['baseline_s'] * 1e3:.2f} | {r['speedup']:.2f}x |"
        )
    achieved = [r for r in records if "kit_flops_per_s" in r]
    if achieved:
        lines.append("")
        lines.append(
            "| kit training step at the large size | GFLOP/s | % of matmul peak |"
        )
        lines.append("|---|---:|---:|")
        for r in achieved:
            lines.append(
                f"| {r['kit']} | {r['kit_flops_per_s'] / 1e9:.1f} "
                f"| {100 * r['kit_flops_per_s'] / r['peak_flops_per_s']:.1f}% |"
            )
    memory = [r for r in records if "kit_peak_rss_mb" in r]
    if memory:
        lines.append("")
        lines.append(
            "| benchmark | size [B, T, I, U] | kit peak MB | baseline peak MB |"
        )
        lines.append("|---|---|---:|---:|")
        for r in memory:
            lines.append(
                f"| {r['name']} | {r['size']} | {r['kit_peak_rss_mb']:.0f} "
                f"| {r['baseline_peak_rss_mb']:.0f} |"
            )
    sizes = [r for r in records if "kit_bytes" in r]
    if sizes:
        lines.append("")
        lines.append("| LiteRT file | kit bytes | baseline bytes | baseline note |")
        lines.append("|---|---:|---:|---|")
        for r in sizes:
            lines.append(
                f"| {r['kit']} | {r['kit_bytes']:,} | {r['baseline_bytes']:,} "
                f"| {r['baseline_note']} |"
            )
    apps = {r["app"]: r for r in records if "variants" in r}
    if apps:
        lines.append("")
        lines.extend(app_tflite_table(apps.values()))
    return "\n".join(lines)


def app_tflite_table(records) -> list[str]:
    """Rows of the `app_tflite` section: one per application (`records` from
    `benchmarks.application_tflite`, one per application)."""
    names = ("masked_loop", "trimmed_loop", "trimmed_fused")
    lines = [
        "| app | inputs and sizes | bytes: masked loop / trimmed loop / trimmed "
        "fused | ms, same order | ms without XNNPACK | trimmed vs masked "
        "| fused vs loop | fused op (fusable?) | trimmed = masked (max diff) "
        "| batch 8 | verdict |",
        "|---|---|---|---|---|---:|---:|---|---|---|---|",
    ]
    for r in records:
        v, check = r["variants"], r["check"]
        sizes = " / ".join(f"{v[n]['bytes']:,}" for n in names)
        times, plain = (
            " / ".join(f"{v[n][key] * 1e3:.3f}" for n in names)
            for key in ("seconds", "seconds_without_xnnpack")
        )
        trim = v["masked_loop"]["seconds"] / v["trimmed_loop"]["seconds"]
        fuse = v["trimmed_loop"]["seconds"] / v["trimmed_fused"]["seconds"]
        lines.append(
            f"| {r['app']} | {r['size']} | {sizes} | {times} | {plain} | {trim:.2f}x "
            f"| {fuse:.2f}x | {v['trimmed_fused']['fused_lstm']} ({r['fusable']}) "
            f"| {check['trimmed_matches_masked']} "
            f"({check['trimmed_loop_max_abs_diff']:.1e}; fused "
            f"{check['trimmed_fused_max_abs_diff']:.1e}) "
            f"| {r['batch8']['note']} | {r['verdict']} |"
        )
    return lines


def write_report(records, folder) -> str:
    """Writes `latest.md` and `latest.png` into `folder`; returns the table.

    The chart draws on its own Agg canvas (no pyplot state, no backend switch);
    labels may mix scripts (CJK glyphs come from `diagnostics.fonts`).
    """
    table = markdown_table(records)
    with open(os.path.join(folder, "latest.md"), "w") as f:
        f.write(table + "\n")
    labels = [
        f"{r['name'].split(' vs ')[0]}\n{r['phase']} {r['size']}" for r in records
    ]
    speedups = [r["speedup"] for r in records]
    fig = Figure(figsize=(8, 0.35 * len(records) + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    colors = ["tab:green" if s >= 1 else "tab:red" for s in speedups]
    ax.barh(range(len(records)), speedups, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(
        range(len(records)), labels, fontsize=7, fontfamily=plot_font_families()
    )
    ax.invert_yaxis()
    ax.set_xlabel("speedup over the Keras built-in (baseline time / kit time)")
    ax.set_title("keras-rnn-kit vs Keras built-ins")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "latest.png"), dpi=120)
    return table
