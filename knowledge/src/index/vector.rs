//! Vector index over every tenant's chunk vectors (unit length, dot-product similarity):
//! an `hnsw_rs` graph for large tenants and an exact scan for small ones. hnsw_rs cannot
//! delete, so removed rows are soft-deleted (skipped through `search_filter`) and the graph
//! is rebuilt from the live vectors once more than `rebuild_deleted_fraction` of it is dead.

use std::collections::{BTreeSet, HashMap, HashSet};

use hnsw_rs::hnsw::Hnsw;

use super::dot::UnitDot;
use super::exact::exact_top_k;
use super::{ChunkMeta, Scored, kind_allowed, l2_normalize};
use crate::manifest::DocumentKind;

/// HNSW parameters and the exact/approximate switch.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorIndexConfig {
    /// Graph degree (`M`).
    pub max_connections: usize,
    /// Candidates explored while inserting.
    pub ef_construction: usize,
    /// Candidates explored while searching (at least `k`).
    pub ef_search: usize,
    /// Tenants with at most this many live vectors are searched exactly.
    pub exact_below: usize,
    /// Rebuild the graph when more than this fraction of its points is soft-deleted.
    pub rebuild_deleted_fraction: f32,
    /// Search breadth grows as this times the square root of the tenant's size.
    pub ef_per_sqrt_n: f32,
}

impl Default for VectorIndexConfig {
    fn default() -> Self {
        Self {
            max_connections: 24,
            ef_construction: 200,
            ef_search: 128,
            exact_below: 5_000,
            rebuild_deleted_fraction: 0.2,
            ef_per_sqrt_n: 4.0,
        }
    }
}

struct Point {
    meta: ChunkMeta,
    vector: Vec<f32>,
}

/// Vectors of all tenants; every search is restricted to one tenant.
pub struct VectorIndex {
    dim: usize,
    config: VectorIndexConfig,
    points: HashMap<u64, Point>,
    by_tenant: HashMap<String, BTreeSet<u64>>,
    hnsw: Hnsw<'static, f32, UnitDot>,
    /// Rows in the graph that were removed (or replaced) since the last rebuild.
    deleted: HashSet<u64>,
    /// Points in the graph, live or soft-deleted.
    graph_points: usize,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dim", &self.dim)
            .field("live", &self.points.len())
            .field("graph_points", &self.graph_points)
            .field("deleted", &self.deleted.len())
            .finish()
    }
}

impl VectorIndex {
    /// An empty index of `dim`-dimensional vectors.
    pub fn new(dim: usize, config: VectorIndexConfig) -> Self {
        let hnsw = new_graph(&config, 1024);
        Self {
            dim,
            config,
            points: HashMap::new(),
            by_tenant: HashMap::new(),
            hnsw,
            deleted: HashSet::new(),
            graph_points: 0,
        }
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of live vectors of `tenant`.
    pub fn len(&self, tenant: &str) -> usize {
        self.by_tenant.get(tenant).map_or(0, BTreeSet::len)
    }

    /// Whether `tenant` has no live vector.
    pub fn is_empty(&self, tenant: &str) -> bool {
        self.len(tenant) == 0
    }

    /// Adds (or replaces) row `row`; the vector is L2-normalised. Panics if its length is not
    /// `dim` (the store checks first).
    pub fn insert(&mut self, row: u64, meta: ChunkMeta, mut vector: Vec<f32>) {
        assert_eq!(vector.len(), self.dim, "vector dimension");
        if let Some(old) = self.points.get(&row) {
            let tenant = old.meta.tenant.clone();
            self.remove(&tenant, row);
        }
        // A row id re-used after a soft delete would be filtered out: rebuild first.
        if self.deleted.contains(&row) {
            self.rebuild();
        }
        l2_normalize(&mut vector);
        self.hnsw.insert_slice((&vector, row as usize));
        self.graph_points += 1;
        self.by_tenant
            .entry(meta.tenant.clone())
            .or_default()
            .insert(row);
        self.points.insert(row, Point { meta, vector });
    }

    /// Adds many rows at once (as at open) and builds the graph in parallel.
    pub fn bulk_load(&mut self, items: impl IntoIterator<Item = (u64, ChunkMeta, Vec<f32>)>) {
        for (row, meta, mut vector) in items {
            assert_eq!(vector.len(), self.dim, "vector dimension");
            l2_normalize(&mut vector);
            self.by_tenant
                .entry(meta.tenant.clone())
                .or_default()
                .insert(row);
            self.points.insert(row, Point { meta, vector });
        }
        self.rebuild();
    }

    /// Removes row `row` of `tenant`; false when `tenant` has no such row.
    pub fn remove(&mut self, tenant: &str, row: u64) -> bool {
        match self.points.get(&row) {
            Some(p) if p.meta.tenant == tenant => {}
            _ => return false,
        }
        self.points.remove(&row);
        if let Some(rows) = self.by_tenant.get_mut(tenant) {
            rows.remove(&row);
            if rows.is_empty() {
                self.by_tenant.remove(tenant);
            }
        }
        self.deleted.insert(row);
        let dead = self.deleted.len() as f32;
        if dead > self.config.rebuild_deleted_fraction * self.graph_points as f32 {
            self.rebuild();
        }
        true
    }

    /// Soft-deleted points still in the graph.
    pub fn deleted_in_graph(&self) -> usize {
        self.deleted.len()
    }

    /// Rebuilds the graph from the live vectors, dropping soft-deleted points.
    pub fn rebuild(&mut self) {
        self.hnsw = new_graph(&self.config, self.points.len().max(1024));
        let mut rows: Vec<&u64> = self.points.keys().collect();
        rows.sort();
        let data: Vec<(&[f32], usize)> = rows
            .into_iter()
            .map(|row| (self.points[row].vector.as_slice(), *row as usize))
            .collect();
        self.hnsw.parallel_insert_slice(&data);
        self.graph_points = data.len();
        self.deleted.clear();
    }

    /// The `k` nearest of `tenant`'s vectors (of `kinds`; all when empty) to `query`, best
    /// first, score = dot product of unit vectors. Small tenants are scanned exactly.
    pub fn search(
        &self,
        tenant: &str,
        query: &[f32],
        k: usize,
        kinds: &[DocumentKind],
    ) -> Vec<Scored> {
        if self.len(tenant) <= self.config.exact_below {
            self.search_exact(tenant, query, k, kinds)
        } else {
            self.search_hnsw(tenant, query, k, kinds)
        }
    }

    /// Exact search (see `search`).
    pub fn search_exact(
        &self,
        tenant: &str,
        query: &[f32],
        k: usize,
        kinds: &[DocumentKind],
    ) -> Vec<Scored> {
        let Some(rows) = self.by_tenant.get(tenant) else {
            return Vec::new();
        };
        let query = unit(query);
        let candidates = rows.iter().filter_map(|row| {
            let p = &self.points[row];
            kind_allowed(kinds, p.meta.kind).then_some((*row, p.vector.as_slice()))
        });
        exact_top_k(&query, candidates, k)
    }

    /// Approximate search through the HNSW graph (see `search`).
    pub fn search_hnsw(
        &self,
        tenant: &str,
        query: &[f32],
        k: usize,
        kinds: &[DocumentKind],
    ) -> Vec<Scored> {
        let ef = self.ef_for(self.len(tenant), k);
        self.search_hnsw_ef(tenant, query, k, kinds, ef)
    }

    /// The search breadth used for a tenant of `n` live vectors: `ef_search`, raised with
    /// the tenant's size (`ef_per_sqrt_n` x sqrt(n)) so recall holds as the graph grows.
    pub fn ef_for(&self, n: usize, k: usize) -> usize {
        let scaled = (self.config.ef_per_sqrt_n * (n as f32).sqrt()).ceil() as usize;
        self.config.ef_search.max(scaled).max(k)
    }

    /// HNSW search with an explicit breadth `ef` (benchmarks sweep it).
    ///
    /// The graph is searched without a filter and the `ef` candidates are filtered afterwards
    /// (tenant, kinds, soft-deleted rows): hnsw_rs's own filtered search never stops early and
    /// visits most of the graph (30 ms at 100k instead of a few). Only when too few of the
    /// candidates pass does it fall back to that filtered search.
    pub fn search_hnsw_ef(
        &self,
        tenant: &str,
        query: &[f32],
        k: usize,
        kinds: &[DocumentKind],
        ef: usize,
    ) -> Vec<Scored> {
        if k == 0 || self.is_empty(tenant) || query.len() != self.dim {
            return Vec::new();
        }
        let query = unit(query);
        let keep = |id: &usize| {
            let row = *id as u64;
            !self.deleted.contains(&row)
                && self
                    .points
                    .get(&row)
                    .is_some_and(|p| p.meta.tenant == tenant && kind_allowed(kinds, p.meta.kind))
        };
        let ef = ef.max(k);
        let scored = |n: &hnsw_rs::prelude::Neighbour| Scored {
            row: n.d_id as u64,
            score: 1.0 - n.distance,
        };
        let found: Vec<Scored> = self
            .hnsw
            .search(&query, ef, ef)
            .iter()
            .filter(|n| keep(&n.d_id))
            .take(k)
            .map(scored)
            .collect();
        if found.len() >= k.min(self.len(tenant)) {
            return found;
        }
        self.hnsw
            .search_filter(&query, k, ef, Some(&keep))
            .iter()
            .map(scored)
            .collect()
    }
}

fn unit(query: &[f32]) -> Vec<f32> {
    let mut q = query.to_vec();
    l2_normalize(&mut q);
    q
}

fn new_graph(config: &VectorIndexConfig, capacity: usize) -> Hnsw<'static, f32, UnitDot> {
    let layers = 16;
    Hnsw::new(
        config.max_connections,
        capacity,
        layers,
        config.ef_construction,
        UnitDot,
    )
}
