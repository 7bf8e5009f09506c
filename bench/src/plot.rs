//! Plain SVG line charts (both axes on a log scale: the scenarios span 50 to 100,000 requests
//! per second), so the figures in docs/performance.md come with a picture and no plotting
//! dependency.

use std::fmt::Write;
use std::path::Path;

pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub file: String,
    pub series: Vec<Series>,
}

const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// 1, 2, 5, 10, 20, 50, … covering `lo..=hi`.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut mag = 10f64.powf(lo.log10().floor());
    while mag <= hi * 10.0 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * mag;
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
        mag *= 10.0;
    }
    out
}

fn label(x: f64) -> String {
    if x >= 1e6 {
        format!("{}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{}k", x / 1e3)
    } else {
        format!("{x}")
    }
}

pub fn svg(c: &Chart) -> String {
    let (w, h) = (900.0, 440.0);
    let (left, right, top, bottom) = (70.0, 330.0, 40.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let xs: Vec<f64> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    let (xmin, xmax) = (
        xs.iter().copied().fold(f64::MAX, f64::min).max(1.0),
        xs.iter().copied().fold(f64::MIN, f64::max).max(2.0),
    );
    let ys: Vec<f64> = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| *y > 0.0)
        .collect();
    let ylo = 10f64.powf(
        ys.iter()
            .copied()
            .fold(f64::MAX, f64::min)
            .max(1.0)
            .log10()
            .floor(),
    );
    let yhi = 10f64.powf(ys.iter().copied().fold(1.0, f64::max).log10().ceil());
    let lx = |x: f64| {
        let span = (xmax.ln() - xmin.ln()).max(1e-9);
        left + (x.max(1.0).ln() - xmin.ln()) / span * pw
    };
    let ly = |y: f64| top + ph - (y.max(ylo).ln() - ylo.ln()) / (yhi.ln() - ylo.ln()) * ph;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/><text x="{}" y="22" font-size="15" font-weight="bold">{}</text>"#,
        left, c.title
    );
    for y in log_ticks(ylo, yhi) {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{py}" y2="{py}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
            left + pw,
            left - 6.0,
            ly(y) + 4.0,
            label(y),
            py = ly(y)
        );
    }
    let mut ticks: Vec<f64> = xs.clone();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    for x in ticks {
        let _ = write!(
            s,
            r##"<line x1="{px}" x2="{px}" y1="{top}" y2="{}" stroke="#eee"/><text x="{px}" y="{}" text-anchor="middle">{}</text>"##,
            top + ph,
            top + ph + 16.0,
            label(x),
            px = lx(x)
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{left}" y1="{top}" y2="{}" stroke="#333"/><line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="#333"/><text x="{}" y="{}" text-anchor="middle">{} (log scale)</text><text transform="translate(16 {}) rotate(-90)" text-anchor="middle">requests per second (log scale)</text>"##,
        top + ph,
        left + pw,
        top + ph,
        top + ph,
        left + pw / 2.0,
        h - 10.0,
        c.x_label,
        top + ph / 2.0
    );
    for (i, ser) in c.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mut pts = ser.points.clone();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let path: Vec<String> = pts
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", lx(*x), ly(*y)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        for (x, y) in &pts {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"><title>{}: {:.0} req/s at {}</title></circle>"#,
                lx(*x),
                ly(*y),
                ser.name,
                y,
                label(*x)
            );
        }
        let ly0 = top + 10.0 + i as f64 * 18.0;
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="14" height="4" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
            w - right + 16.0,
            ly0,
            w - right + 36.0,
            ly0 + 6.0,
            ser.name
        );
    }
    s.push_str("</svg>\n");
    s
}

pub fn write_plots(dir: &Path, charts: &[Chart]) -> anyhow::Result<()> {
    for c in charts {
        std::fs::write(dir.join(&c.file), svg(c))?;
    }
    Ok(())
}
