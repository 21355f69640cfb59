import type { Children } from './children.ts';
import { EMPTY_VALUE, Node } from './node.ts';
import { INTRODUCE_DOMAIN, RELEASE_DOMAIN } from './path.ts';
import { Access, DEFAULT_PERMS, DOMID_ANY, type Perms } from './perms.ts';

const RELEASE_DOMAIN_PERMS: Perms = Object.freeze([
	Object.freeze({ domid: 0, access: Access.NONE, stale: false, since: 0 }),
	Object.freeze({ domid: DOMID_ANY, access: Access.READ, stale: false, since: 0 }),
]);

/**
 * The committed tree: the root node, the special `@` nodes that only carry perms, and the global
 * generation counter. Lookups walk one Map per path element; nothing here scans siblings.
 * This layer performs no checks: the store above it validates and accounts.
 */
export class Tree {
	readonly root: Node;
	/** `@introduceDomain` and `@releaseDomain`: not in the tree, perms only (for SET_PERMS). */
	readonly special = new Map<string, Node>();
	private gen = 0;
	/** Committed nodes under the root, the root included. */
	nodeCount = 1;

	constructor(rootPerms: Perms = DEFAULT_PERMS) {
		this.root = new Node(EMPTY_VALUE, rootPerms, 0);
		this.special.set(INTRODUCE_DOMAIN, new Node(EMPTY_VALUE, DEFAULT_PERMS, 0));
		// As in current C xenstored: every domain may watch @releaseDomain (for its own domid).
		this.special.set(RELEASE_DOMAIN, new Node(EMPTY_VALUE, RELEASE_DOMAIN_PERMS, 0));
	}

	/** The next generation: every change takes a new one, so equal counts mean no change. */
	nextGen(): number {
		return ++this.gen;
	}

	get generation(): number {
		return this.gen;
	}

	/** Restore the counter (live update): generations must keep growing across it. */
	setGeneration(gen: number): void {
		if (gen > this.gen) this.gen = gen;
	}

	/** Put every child list in byte order of the names (a predecessor that listed them so). */
	sortChildren(): void {
		walkPreOrder('/', this.root, (_path, node) => {
			if (node.children === undefined || node.children.size < 2) return;
			const sorted = [...node.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
			const children = node.children;
			children.clear();
			for (const [name, child] of sorted) children.set(name, child);
		});
	}

	/** The node at an absolute path, or undefined. */
	lookup(path: string): Node | undefined {
		if (path === '/') return this.root;
		let node: Node | undefined = this.root;
		let start = 1;
		while (node !== undefined) {
			const slash = path.indexOf('/', start);
			if (slash < 0) return node.child(path.slice(start));
			node = node.child(path.slice(start, slash));
			start = slash + 1;
		}
		return undefined;
	}

	/**
	 * The deepest existing node on the way to `path` and how much of the path it covers:
	 * used to create missing parents and to find the nearest existing ancestor.
	 */
	deepest(path: string): { node: Node; end: number } {
		let node = this.root;
		let end = 0;
		if (path === '/') return { node, end: 1 };
		let start = 1;
		for (;;) {
			const slash = path.indexOf('/', start);
			const next = node.child(slash < 0 ? path.slice(start) : path.slice(start, slash));
			if (next === undefined) return { node, end };
			node = next;
			if (slash < 0) return { node, end: path.length };
			end = slash;
			start = slash + 1;
		}
	}
}

/**
 * Visit a subtree children-first (the order removal reports it in), without recursion, so that
 * a deep tree cannot overflow the stack. The visitor sees each path, node and parent node
 * (undefined for the subtree's root).
 */
export function walkPostOrder(
	path: string,
	node: Node,
	visit: (path: string, node: Node, parent: Node | undefined) => void,
): void {
	type Frame = {
		path: string;
		node: Node;
		parent: Node | undefined;
		iter: Iterator<[string, Node]> | undefined;
	};
	const stack: Frame[] = [{ path, node, parent: undefined, iter: node.children?.entries() }];
	while (stack.length > 0) {
		const top = stack[stack.length - 1]!;
		const next = top.iter?.next();
		if (next === undefined || next.done) {
			stack.pop();
			visit(top.path, top.node, top.parent);
			continue;
		}
		const [name, child] = next.value;
		const p = top.path === '/' ? `/${name}` : `${top.path}/${name}`;
		stack.push({ path: p, node: child, parent: top.node, iter: child.children?.entries() });
	}
}

/**
 * Visit a subtree parents-first, children in creation order (the order a migration stream
 * needs), without recursion.
 */
export function walkPreOrder(path: string, node: Node, visit: (path: string, node: Node) => void): void {
	new PreOrderWalk(path, node, visit).step(Number.POSITIVE_INFINITY);
}

/**
 * walkPreOrder a slice at a time, for a walk spread over event-loop turns while clients are
 * served. The tree may change between slices: each child list is walked as it was when the walk
 * reached its parent (copied then: the lists on the way from the root to the current node are held
 * at once), so a child added later is not visited, one removed later still is, and a removed
 * subtree being walked is walked to its end. Live update's snapshot relies on generations to put
 * such nodes right (liveupdate/snapshot.ts).
 *
 * With `since`, only nodes whose generation is above it are visited (see walkChangedPreOrder).
 */
export class PreOrderWalk {
	private readonly visit: (path: string, node: Node) => void;
	private readonly since: number;
	private readonly stack: ListFrame[] = [];
	private started = false;
	private readonly start: [string, Node];

	constructor(path: string, node: Node, visit: (path: string, node: Node) => void, since = -1) {
		this.visit = visit;
		this.since = since;
		this.start = [path, node];
	}

	/** Visit up to `limit` more nodes; false once every node has been visited. */
	step(limit: number): boolean {
		const { stack, visit, since } = this;
		let left = limit;
		if (!this.started) {
			this.started = true;
			const [path, node] = this.start;
			if (node.generation > since) {
				visit(path, node);
				left--;
			}
			if (node.children !== undefined) stack.push(listFrame(path, node.children, since));
		}
		while (stack.length > 0) {
			if (left <= 0) return true;
			const top = stack[stack.length - 1]!;
			if (top.next === top.nodes.length) {
				stack.pop();
				continue;
			}
			const i = top.next++;
			const child = top.nodes[i]!;
			const p = top.path === '/' ? `/${top.names[i]}` : `${top.path}/${top.names[i]}`;
			if (child.generation > since) {
				visit(p, child);
				left--;
			}
			if (child.children !== undefined) stack.push(listFrame(p, child.children, since));
		}
		return false;
	}
}

/** A child list being walked: its names and nodes as they were when the walk reached it. */
interface ListFrame {
	path: string;
	names: string[];
	nodes: Node[];
	next: number;
}

/**
 * A list's children to walk, in order: those changed after `since` and the parents (which may
 * hold changed ones). Generations start at 0, so with -1 every child is taken.
 */
function listFrame(path: string, children: Children, since: number): ListFrame {
	const names: string[] = [];
	const nodes: Node[] = [];
	children.select((child) => child.children !== undefined || child.generation > since, names, nodes);
	return { path, names, nodes, next: 0 };
}

/**
 * walkPreOrder restricted to the nodes whose generation is above `since` (live update's delta).
 * Every node is still looked at, since a changed node may sit below unchanged ones, but an
 * unchanged leaf, most of a big store, costs one step of forEach over its list: no path, no copy.
 * For a million nodes that is most of the walk's time, spent while clients wait.
 */
export function walkChangedPreOrder(
	path: string,
	node: Node,
	since: number,
	visit: (path: string, node: Node) => void,
): void {
	new PreOrderWalk(path, node, visit, since).step(Number.POSITIVE_INFINITY);
}
