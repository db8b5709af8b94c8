//! The spec family's rules about `depends_on` (BI112, BI115, BI116; the registry's
//! `rules/spec.rs`): no dependency cycle, `healthy` only on a service with a health check,
//! `completed` only on a job. Also the graph algorithms BI112 runs on, which the audit's
//! BI112 shares.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::diagnostic::Diagnostic;
use crate::rules::spec as spec_rules;
use crate::rules::spec::CODE_COMPLETED_NOT_JOB;
use crate::rules::spec::CODE_DEPENDENCY_CYCLE;
use crate::rules::spec::CODE_HEALTHY_WITHOUT_HEALTHCHECK;
use crate::spec::{Condition, Service, Spec};

/// The strongly connected component of each node of `adj` (iterative Tarjan, so a chain
/// of ten thousand services does not overflow the stack).
pub(crate) fn strongly_connected(adj: &[Vec<usize>]) -> Vec<usize> {
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
pub(crate) fn shortest_path(
    adj: &[Vec<usize>],
    comp: &[usize],
    from: usize,
    to: usize,
) -> Vec<usize> {
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

/// BI112: dependency cycles. Each cycle is reported once, at its first edge in spec order
/// (service order, then `depends_on` order): for each edge inside a strongly connected
/// component not yet part of a reported cycle, the shortest cycle through it.
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
    let comp = strongly_connected(&adj);
    let mut size: HashMap<usize, usize> = HashMap::new();
    for &c in &comp {
        *size.entry(c).or_default() += 1;
    }
    let mut covered: HashSet<(usize, usize)> = HashSet::new();
    for (i, (name, svc)) in spec.services.iter().enumerate() {
        if size[&comp[i]] < 2 {
            continue;
        }
        for dep in svc.depends_on().keys() {
            let Some(j) = spec.services.get_index_of(dep) else {
                continue;
            };
            if j == i || comp[j] != comp[i] || covered.contains(&(i, j)) {
                continue;
            }
            let mut cycle = vec![i];
            cycle.extend(shortest_path(&adj, &comp, j, i));
            for w in cycle.windows(2) {
                covered.insert((w[0], w[1]));
            }
            let names: Vec<&str> = cycle
                .iter()
                .filter_map(|&k| spec.services.get_index(k).map(|(n, _)| n.as_str()))
                .collect();
            let (message, help) = spec_rules::dependency_cycle(&names);
            out.push(
                Diagnostic::error(
                    CODE_DEPENDENCY_CYCLE,
                    ptr!("services", name, "depends_on", dep),
                    message,
                )
                .with_help(help),
            );
        }
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
                out.push(
                    Diagnostic::error(
                        CODE_HEALTHY_WITHOUT_HEALTHCHECK,
                        ptr!("services", name, "depends_on", dep),
                        format!(
                            "`{name}` waits for `{dep}` to be healthy, but `{dep}` is a {} and has no health check",
                            target.kind().as_str()
                        ),
                    )
                    .with_help(format!(
                        "write `{dep}: completed` to wait until the job has exited 0"
                    )),
                );
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
                out.push(
                    Diagnostic::error(
                        CODE_COMPLETED_NOT_JOB,
                        ptr!("services", name, "depends_on", dep),
                        format!(
                            "`{name}` waits for `{dep}` to complete, but `{dep}` is a long-running {} service that never exits",
                            target.kind().as_str()
                        ),
                    )
                    .with_help(format!("write `{dep}: healthy` (or `started`)")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
    use crate::validate::tests::{clean, expect, spec};

    fn app(name: &str, deps: &str) -> String {
        format!("  {name}: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], depends_on: {{ {deps} }} }}\n")
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
