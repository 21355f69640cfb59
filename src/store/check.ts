import { ownerOf } from './perms.ts';
import type { Store } from './store.ts';
import { walkPreOrder } from './tree.ts';

/**
 * CONTROL `check`: recount the tree and compare with the running accounts (node count, child list
 * sizes, nodes per owner). Returns one line per inconsistency; none is the expected answer.
 */
export function checkStore(store: Store): string[] {
	const problems: string[] = [];
	const owners = new Map<number, number>();
	let nodes = 0;
	walkPreOrder('/', store.tree.root, (path, node) => {
		nodes++;
		owners.set(ownerOf(node.perms), (owners.get(ownerOf(node.perms)) ?? 0) + 1);
		let bytes = 0;
		if (node.children) for (const name of node.children.keys()) bytes += name.length + 1;
		if (bytes !== node.childBytes)
			problems.push(`${path}: child list size ${node.childBytes}, counted ${bytes}`);
		if (node.perms.length === 0) problems.push(`${path}: no perms`);
	});
	for (const special of store.tree.special.values()) {
		owners.set(ownerOf(special.perms), (owners.get(ownerOf(special.perms)) ?? 0) + 1);
	}
	if (nodes !== store.tree.nodeCount) problems.push(`node count ${store.tree.nodeCount}, counted ${nodes}`);
	const domids = new Set([...owners.keys(), ...[...store.accounts.entries()].map(([d]) => d)]);
	for (const domid of domids) {
		const counted = owners.get(domid) ?? 0;
		if (store.ownedBy(domid) !== counted) {
			problems.push(`domain ${domid} owns ${counted} nodes, its account says ${store.ownedBy(domid)}`);
		}
	}
	return problems;
}
