//! The spec family's rules about `depends_on` (BI112, BI115, BI116, BI119; the registry's
//! `rules/spec.rs`): no dependency cycle, `healthy` only on a service with a health check,
//! `completed` only on a job. Also the graph algorithm BI112 runs on ([`cycles`]), which
//! the audit's BI112 shares, so both report the same cycles for the same graph.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::diagnostic::Diagnostic;
use crate::rules::spec as spec_rules;
use crate::rules::spec::NoHealthcheck;
use crate::spec::{Condition, Service, Spec};

/// The strongly connected component of each node of `adj` (iterative Tarjan, so a chain
/// of ten thousand services does not overflow the stack).
fn strongly_connected(adj: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack = Vec::new();
    let mut call: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    let mut ncomp = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        call.push((root, 0));
        while let Some(top) = call.last_mut() {
            let v = top.0;
            if let Some(&w) = adj[v].get(top.1) {
                top.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(u, _)) = call.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = ncomp;
                        if w == v {
                            break;
                        }
                    }
                    ncomp += 1;
                }
            }
        }
    }
    comp
}

/// The shortest path from `from` to `to` inside the component of both (breadth first);
/// both ends included.
fn shortest_path(adj: &[Vec<usize>], comp: &[usize], from: usize, to: usize) -> Vec<usize> {
    let mut prev: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    prev.insert(from, from);
    while let Some(v) = queue.pop_front() {
        if v == to {
            break;
        }
        for &w in &adj[v] {
            if comp[w] == comp[from] && !prev.contains_key(&w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut path = vec![to];
    let mut v = to;
    while v != from {
        match prev.get(&v) {
            Some(&p) => {
                path.push(p);
                v = p;
            }
            None => break,
        }
    }
    path.reverse();
    path
}

/// The dependency cycles of the graph `adj` (node `i` depends on each of `adj[i]`, in
/// file order; no self edge), as BI112 reports them from a spec and from a Compose file
/// alike: every cycle, not one per strongly connected component. For each edge `i -> j`
/// inside a strongly connected component (node order, then edge order) that no cycle
/// found so far passes through, the shortest cycle through it: `(i, j, cycle)`, the
/// cycle's nodes in order from `i`, `i` again at the end. Each such edge is where its
/// cycle is reported.
pub(crate) fn cycles(adj: &[Vec<usize>]) -> Vec<(usize, usize, Vec<usize>)> {
    let comp = strongly_connected(adj);
    let mut size: HashMap<usize, usize> = HashMap::new();
    for &c in &comp {
        *size.entry(c).or_default() += 1;
    }
    let mut covered: HashSet<(usize, usize)> = HashSet::new();
    let mut out = Vec::new();
    for (i, deps) in adj.iter().enumerate() {
        if size[&comp[i]] < 2 {
            continue;
        }
        for &j in deps {
            if j == i || comp[j] != comp[i] || covered.contains(&(i, j)) {
                continue;
            }
            let mut cycle = vec![i];
            cycle.extend(shortest_path(adj, &comp, j, i));
            for w in cycle.windows(2) {
                covered.insert((w[0], w[1]));
            }
            out.push((i, j, cycle));
        }
    }
    out
}

/// BI112: dependency cycles, each at its first edge in spec order (service order, then
/// `depends_on` order), as [`cycles`] finds them.
pub(super) fn dependency_cycles(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let adj: Vec<Vec<usize>> = spec
        .services
        .values()
        .enumerate()
        .map(|(i, svc)| {
            svc.depends_on()
                .keys()
                .filter_map(|d| spec.services.get_index_of(d))
                .filter(|&j| j != i)
                .collect()
        })
        .collect();
    let name = |k: usize| spec.services.get_index(k).map_or("", |(n, _)| n.as_str());
    for (i, j, cycle) in cycles(&adj) {
        let names: Vec<&str> = cycle.iter().map(|&k| name(k)).collect();
        out.push(spec_rules::dependency_cycle(&names).at(ptr!(
            "services",
            name(i),
            "depends_on",
            name(j)
        )));
    }
}

/// BI115: `healthy` needs a dependency with a health check.
pub(super) fn healthy_without_healthcheck(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        for (dep, cond) in svc.depends_on() {
            let Some(target) = spec.services.get(dep) else {
                continue;
            };
            if *cond == Condition::Healthy && !target.has_healthcheck() && dep != name {
                // A job has none; any other kind only with `health.none`.
                let why = if matches!(target, Service::Job(_)) {
                    NoHealthcheck::Job
                } else {
                    NoHealthcheck::Disabled
                };
                let finding =
                    spec_rules::healthy_without_healthcheck(name.as_str(), dep.as_str(), why, None);
                out.push(finding.at(ptr!("services", name, "depends_on", dep)));
            }
        }
    }
}

/// BI116: `completed` needs a job.
pub(super) fn completed_not_job(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        for (dep, cond) in svc.depends_on() {
            let Some(target) = spec.services.get(dep) else {
                continue;
            };
            if *cond == Condition::Completed && !matches!(target, Service::Job(_)) && dep != name {
                let finding = spec_rules::completed_not_job(name.as_str(), dep.as_str());
                out.push(finding.at(ptr!("services", name, "depends_on", dep)));
            }
        }
    }
}

/// BI119: each migration job (`task: migrate`) sets no `image` (it runs its app's), its
/// app depends on it with `completed` (else the app could take traffic before the
/// schema exists, and `deploy` would not run it first), and it depends, `healthy`, on
/// each `postgres` service its app depends on (else it may run before the database
/// accepts connections) on a network it shares with it. An unresolved app is BI110's.
pub(super) fn migrations(spec: &Spec, out: &mut Vec<Diagnostic>) {
    use crate::rules::spec::CODE_MIGRATION;
    for (name, svc) in &spec.services {
        let Service::Job(job) = svc else { continue };
        let Some(app) = job.migrates() else { continue };
        let Some(target) = spec.services.get(app).filter(|s| s.process().is_some()) else {
            continue;
        };
        if let Some(image) = &job.image {
            out.push(Diagnostic::error(
                CODE_MIGRATION,
                ptr!("services", name, "image"),
                format!("migration job `{name}` names image `{image}`: a migration runs the image of its app `{app}`, of the same release"),
            ).with_help(format!("remove `image` from `{name}`: it runs `{app}`'s image, built or pulled for it")));
        }
        if target.depends_on().get(name) != Some(&Condition::Completed) {
            out.push(Diagnostic::error(
                CODE_MIGRATION,
                ptr!("services", app, "depends_on"),
                format!("`{app}` does not wait for its migration `{name}`: it could start, and take traffic, before the migration ran, and `deploy` would not run the migration first"),
            ).with_help(format!("add to `{app}`: `depends_on: {{ {name}: completed }}`")));
        }
        for db in target.depends_on().keys() {
            let Some(Service::Postgres(pg)) = spec.services.get(db) else {
                continue;
            };
            if !pg.networks.iter().any(|n| job.networks.contains(n)) {
                out.push(Diagnostic::error(
                    CODE_MIGRATION,
                    ptr!("services", name, "networks"),
                    format!("migration `{name}` shares no network with `{db}`, the database of `{app}`: it cannot reach it"),
                ).with_help(format!("attach `{name}` to a network of `{db}`: {}", pg.networks.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))));
            }
            if job.depends_on.get(db) != Some(&Condition::Healthy) {
                out.push(Diagnostic::error(
                    CODE_MIGRATION,
                    ptr!("services", name, "depends_on"),
                    format!("migration `{name}` does not wait for `{db}`, the database of `{app}`, to be healthy: it may run before the database accepts connections"),
                ).with_help(format!("add to `{name}`: `depends_on: {{ {db}: healthy }}`")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[allow(unused_imports)]
    use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
    use crate::validate::tests::{clean, expect, spec, DB, DB_SECRETS};

    fn app(name: &str, deps: &str) -> String {
        format!("  {name}: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], depends_on: {{ {deps} }} }}\n")
    }
    fn migration(extra: &str) -> String {
        format!("  mig: {{ kind: job, task: {{ migrate: {{ app: api, argv: [node, migrate.js] }} }}, networks: [inner]{extra} }}\n")
    }

    #[test]
    fn bi119_migration_in_order_is_clean() {
        let good = format!(
            "{}{}{DB}",
            app("api", "db: healthy, mig: completed"),
            migration(", depends_on: { db: healthy }")
        );
        clean(&spec(&good, "", DB_SECRETS));
    }

    #[test]
    fn bi119_app_not_waiting_for_its_migration() {
        let bad = format!(
            "{}{}{DB}",
            app("api", "db: healthy"),
            migration(", depends_on: { db: healthy }")
        );
        let d = expect(
            &spec(&bad, "", DB_SECRETS),
            CODE_MIGRATION,
            "/services/api/depends_on",
        );
        assert!(
            d[0].help.as_deref().unwrap().contains("mig: completed"),
            "{d:?}"
        );
        // `started` is not enough either: the app would start beside it.
        let started = format!(
            "{}{}{DB}",
            app("api", "db: healthy, mig: started"),
            migration(", depends_on: { db: healthy }")
        );
        expect(
            &spec(&started, "", DB_SECRETS),
            CODE_MIGRATION,
            "/services/api/depends_on",
        );
    }

    #[test]
    fn bi119_migration_with_its_own_image_or_without_the_database() {
        let image = format!(
            "{}{}{DB}",
            app("api", "db: healthy, mig: completed"),
            migration(", image: \"example/old:1\", depends_on: { db: healthy }")
        );
        expect(
            &spec(&image, "", DB_SECRETS),
            CODE_MIGRATION,
            "/services/mig/image",
        );
        let no_db = format!(
            "{}{}{DB}",
            app("api", "db: healthy, mig: completed"),
            migration("")
        );
        let d = expect(
            &spec(&no_db, "", DB_SECRETS),
            CODE_MIGRATION,
            "/services/mig/depends_on",
        );
        assert!(
            d[0].help.as_deref().unwrap().contains("db: healthy"),
            "{d:?}"
        );
    }

    #[test]
    fn bi119_migration_on_no_network_of_the_database() {
        let apart = format!(
            "{}  mig: {{ kind: job, task: {{ migrate: {{ app: api, argv: [m] }} }}, networks: [proxy-network], depends_on: {{ db: healthy }} }}\n{DB}",
            app("api", "db: healthy, mig: completed")
        );
        // (A job on the proxy network is BI2xx's too.)
        let all = crate::validate::tests::run(&spec(&apart, "", DB_SECRETS));
        let d = all
            .iter()
            .find(|d| d.code == CODE_MIGRATION && d.pointer == "/services/mig/networks")
            .unwrap_or_else(|| panic!("{all:#?}"));
        assert!(d.help.as_deref().unwrap().contains("`inner`"), "{d:?}");
    }

    #[test]
    fn bi110_migration_of_a_database_or_of_nothing() {
        let of_db = format!(
            "{}  mig: {{ kind: job, task: {{ migrate: {{ app: db, argv: [x] }} }}, networks: [inner] }}\n{DB}",
            app("api", "db: healthy")
        );
        let d = expect(
            &spec(&of_db, "", DB_SECRETS),
            CODE_UNRESOLVED_REFERENCE,
            "/services/mig/task/migrate/app",
        );
        assert!(d[0].message.contains("kind `postgres`"), "{d:?}");
        let unknown = format!(
            "{}  mig: {{ kind: job, task: {{ migrate: {{ app: apj, argv: [x] }} }}, networks: [inner] }}\n",
            app("api", "")
        );
        let d = expect(
            &spec(&unknown, "", ""),
            CODE_UNRESOLVED_REFERENCE,
            "/services/mig/task/migrate/app",
        );
        assert!(d[0].help.as_deref().unwrap().contains("api"), "{d:?}");
    }

    #[test]
    fn bi112_two_service_cycle_reported_once() {
        let bad = format!("{}{}", app("a", "b: healthy"), app("b", "a: started"));
        let d = expect(
            &spec(&bad, "", ""),
            CODE_DEPENDENCY_CYCLE,
            "/services/a/depends_on/b",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "dependency cycle: a -> b -> a");
        clean(&spec(
            &format!("{}{}", app("a", "b: healthy"), app("b", "")),
            "",
            "",
        ));
    }

    #[test]
    fn bi112_longer_and_overlapping_cycles() {
        let three = format!(
            "{}{}{}",
            app("a", "b: started"),
            app("b", "c: started"),
            app("c", "a: started")
        );
        let d = expect(
            &spec(&three, "", ""),
            CODE_DEPENDENCY_CYCLE,
            "/services/a/depends_on/b",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "dependency cycle: a -> b -> c -> a");
        // Two cycles through `a`: each reported once, at its own first edge.
        let two = format!(
            "{}{}{}",
            app("a", "b: started, c: started"),
            app("b", "a: started"),
            app("c", "a: started")
        );
        let d = expect(
            &spec(&two, "", ""),
            CODE_DEPENDENCY_CYCLE,
            "/services/a/depends_on/c",
        );
        let at: Vec<&str> = d.iter().map(|x| x.pointer.as_str()).collect();
        assert_eq!(at, ["/services/a/depends_on/b", "/services/a/depends_on/c"]);
        assert_eq!(d[1].message, "dependency cycle: a -> c -> a");
    }

    #[test]
    fn bi115_healthy_dependency_on_a_job() {
        let job = "  j: { kind: job, image: \"alpine:3.20\", task: { command: { argv: [/bin/true] } }, networks: [inner] }\n";
        let bad = format!("{job}{}", app("a", "j: healthy"));
        expect(
            &spec(&bad, "", ""),
            CODE_HEALTHY_WITHOUT_HEALTHCHECK,
            "/services/a/depends_on/j",
        );
        clean(&spec(&format!("{job}{}", app("a", "j: completed")), "", ""));
    }

    #[test]
    fn bi116_completed_dependency_on_a_non_job() {
        let bad = app("a", "web: completed");
        expect(
            &spec(&bad, "", ""),
            CODE_COMPLETED_NOT_JOB,
            "/services/a/depends_on/web",
        );
        clean(&spec(&app("a", "web: healthy"), "", ""));
    }
}
