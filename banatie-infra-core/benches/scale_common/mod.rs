//! The scale benchmark shared by `scale` (the CLI's allocator, mimalloc) and
//! `scale_system` (the system allocator, as in the Python module and any other embedder):
//! load, validate and render generated specs with 100, 1,000 and 10,000 app services, in
//! process. Prints the fastest of 9 interleaved runs for each size and the 10,000/1,000
//! ratio (near-linear means about 10). `SCALE_ONLY=N` runs one size once, for
//! `valgrind --tool=callgrind` (scripts/bench.sh compares the instruction counts).

use std::time::{Duration, Instant};

use banatie_infra_core::load::{load_str, Format};

/// The spec text with `n` app services, each with a site.
pub fn spec_text(n: usize) -> String {
    let mut t = String::from(
        "stack: { name: scale, source: /src, userns_remap: { enabled: false } }\nnetworks:\n  inner: { internal: true }\n  proxy-network: { external: true }\nservices:\n  db: { kind: postgres, image: \"postgres:15.8-alpine\", networks: [inner] }\n",
    );
    for i in 0..n {
        t.push_str(&format!(
            "  app{i}:\n    kind: app\n    image: \"example/app{i}:1.0\"\n    base_image: \"node:20-alpine\"\n    health_path: /health\n    logs: {{ source: logs/app{i}, target: /app/logs }}\n    networks: [inner, proxy-network]\n    depends_on: {{ db: healthy }}\n    environment: {{ APP_INDEX: \"{i}\" }}\n"
        ));
    }
    t.push_str("sites:\n");
    for i in 0..n {
        t.push_str(&format!("  - {{ domains: [app{i}.example.org], service: app{i}, security_headers: web, access_log: {{ file: app{i}.log }} }}\n"));
    }
    t.push_str("env:\n  NODE_ENV: production\nsecrets:\n  POSTGRES_PASSWORD: {}\n");
    t
}

/// Runs the benchmark; `allocator` names the global allocator in the printed lines.
pub fn main(allocator: &str) {
    // `SCALE_ONLY=N` runs one size once (for a profiler such as callgrind).
    if let Some(n) = std::env::var("SCALE_ONLY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let text = spec_text(n);
        let loaded = load_str(&text, Format::Yaml, "scale.yaml").unwrap();
        let diags = banatie_infra_core::validate::validate(&loaded.spec);
        let bundle = banatie_infra_core::render::render_unchecked(&loaded.spec).unwrap();
        std::hint::black_box((bundle, diags));
        return;
    }
    // Rounds over the three sizes in turn, keeping each size's fastest run: noise (other
    // processes, a VM's neighbours) only ever adds time, and interleaving puts a slow
    // phase of the machine on every size rather than on one. Each run does what
    // `banatie-infra render` does: load the text, validate the spec just loaded, render
    // it. Freeing the results happens after the clock stops.
    let sizes = [100usize, 1_000, 10_000];
    let texts: Vec<String> = sizes.iter().map(|&n| spec_text(n)).collect();
    // (validate+render, load) per size.
    let mut best = vec![(Duration::MAX, Duration::MAX); sizes.len()];
    for _ in 0..9 {
        for (i, text) in texts.iter().enumerate() {
            let t = Instant::now();
            let loaded =
                load_str(text, Format::Yaml, "scale.yaml").expect("the generated spec loads");
            let l = t.elapsed();
            let t = Instant::now();
            let diags = banatie_infra_core::validate::validate(&loaded.spec);
            let bundle = banatie_infra_core::render::render_unchecked(&loaded.spec).unwrap();
            let m = t.elapsed();
            assert!(
                !banatie_infra_core::diagnostic::has_errors(&diags),
                "{:?}",
                &diags[..diags.len().min(3)]
            );
            std::hint::black_box(&bundle);
            drop((bundle, loaded, diags));
            best[i] = (best[i].0.min(m), best[i].1.min(l));
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (i, &n) in sizes.iter().enumerate() {
        let (m, l) = best[i];
        println!(
            "validate+render {n:>6} services: {:>9.2} ms   (load: {:>8.2} ms)   fastest of 9, {allocator}",
            ms(m),
            ms(l)
        );
    }
    let r = ms(best[2].0) / ms(best[1].0);
    let rl = ms(best[2].1) / ms(best[1].1);
    println!("ratio 10000/1000 ({allocator}): validate+render {r:.2} (target <= 12), load {rl:.2}");
    println!("RESULT scale_{allocator}_1000_ms {:.3}", ms(best[1].0));
    println!("RESULT scale_{allocator}_ratio {r:.3}");
    println!("RESULT scale_{allocator}_load_ratio {rl:.3}");
}
