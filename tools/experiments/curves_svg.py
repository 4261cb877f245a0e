"""Learning curves as a small standalone SVG (no plotting library): one panel per metric,
one polyline per run. Used by ghrp_parity.py and ae_curves.py."""
import math


def svg_curves(series, panels, out_path, width=460, height=300):
    """series: [(label, colour, [ {"epoch": e, key: value, ...}, ... ])];
    panels: [(key, title)]. Writes out_path."""
    W, H, pad = width, height, 48
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{len(panels) * W}" height="{H + 30 + 16 * len(legend(series))}" '
             f'font-family="sans-serif" font-size="12">']
    for p, (key, title) in enumerate(panels):
        ys = [r[key] for _, _, c in series for r in c if finite(r.get(key))]
        xs = [r["epoch"] for _, _, c in series for r in c]
        if not ys:
            continue
        y0, y1 = min(ys), max(ys)
        if y1 - y0 < 1e-12:
            y1 = y0 + 1
        x0, x1 = min(xs), max(max(xs), min(xs) + 1)
        ox = p * W

        def sx(x):
            return ox + pad + (x - x0) / (x1 - x0) * (W - 2 * pad)

        def sy(y):
            return H - pad + 10 - (y - y0) / (y1 - y0) * (H - 2 * pad)
        parts.append(f'<text x="{ox + W / 2}" y="16" text-anchor="middle">{title}</text>')
        parts.append(f'<line x1="{ox + pad}" y1="{H - pad + 10}" x2="{ox + W - pad}" y2="{H - pad + 10}" stroke="#444"/>')
        parts.append(f'<line x1="{ox + pad}" y1="{pad - 10}" x2="{ox + pad}" y2="{H - pad + 10}" stroke="#444"/>')
        for y in (y0, (y0 + y1) / 2, y1):
            parts.append(f'<text x="{ox + pad - 4}" y="{sy(y) + 4}" text-anchor="end">{y:.3g}</text>')
        for x in (x0, x1):
            parts.append(f'<text x="{sx(x)}" y="{H - pad + 26}" text-anchor="middle">{x}</text>')
        parts.append(f'<text x="{ox + W / 2}" y="{H - 4}" text-anchor="middle">epoch</text>')
        for _, colour, c in series:
            pts = " ".join(f"{sx(r['epoch']):.1f},{sy(r[key]):.1f}" for r in c if finite(r.get(key)))
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{pts}"/>')
    for i, (label, colour) in enumerate(legend(series)):
        parts.append(f'<text x="{pad}" y="{H + 24 + 16 * i}" fill="{colour}">{label}</text>')
    parts.append("</svg>")
    open(out_path, "w").write("\n".join(parts))


def finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def legend(series):
    seen = []
    for label, colour, _ in series:
        if (label, colour) not in seen:
            seen.append((label, colour))
    return seen
