// Shapes a grant's refresh-token tree (parent -> children) into rows for display.
import type { RefreshTokenNode } from "../bindings/RefreshTokenNode";

export interface TreeRow {
  node: RefreshTokenNode;
  depth: number;
  /** "1", "1.2", "1.2.1": where the token sits in the tree. */
  path: string;
  isLastChild: boolean;
}

export function flattenTree(roots: RefreshTokenNode[]): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (nodes: RefreshTokenNode[], depth: number, prefix: string) => {
    nodes.forEach((node, i) => {
      const path = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
      rows.push({ node, depth, path, isLastChild: i === nodes.length - 1 });
      walk(node.children, depth + 1, path);
    });
  };
  walk(roots, 0, "");
  return rows;
}

export function countTokens(roots: RefreshTokenNode[]): { total: number; active: number } {
  const rows = flattenTree(roots);
  return { total: rows.length, active: rows.filter((r) => r.node.state === "active").length };
}

/** Tokens used more than once: only confidential clients' tokens can be (the tree's forks). */
export function forks(roots: RefreshTokenNode[]): RefreshTokenNode[] {
  return flattenTree(roots)
    .map((r) => r.node)
    .filter((n) => n.children.length > 1);
}

/** The rows still shown when the tokens in `collapsed` hide their descendants. */
export function visibleRows(rows: TreeRow[], collapsed: ReadonlySet<string>): TreeRow[] {
  const hidden = new Set<string>();
  return rows.filter((r) => {
    const parent = r.node.parent_id;
    if (parent !== null && (hidden.has(parent) || collapsed.has(parent))) {
      hidden.add(r.node.id);
      return false;
    }
    return true;
  });
}

/** The badge for a grant: its status, except that an active grant that no longer yields tokens
 *  (its `why` says so: every refresh token expired, or the app is disabled) shows "stopped". */
export function grantBadge(status: string, why: string | null): string {
  return status === "active" && why ? "stopped" : status;
}
