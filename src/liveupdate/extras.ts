import { readFileSync, writeFileSync } from 'node:fs';

/**
 * What a tsxenstored successor needs beyond the migration stream, kept in a file beside it
 * (`<state file>.tsxenstored`) so that the stream itself stays exactly what the design document
 * says and any implementation can read it:
 * - emulated domains: their connections are written as ring connections of the domain (which is
 *   what they stand for); here, which passed descriptor carries each, and each domain's listener;
 * - transactions: whether one was already doomed to EAGAIN, and which nodes' child lists it read,
 *   since NODE_DATA records only values and perms;
 * - a state on a snapshot the successor loaded before requests were held (snapshot.ts): which
 *   snapshot, and the child list of each node in the stream, which has only the changed nodes.
 */
export interface Extras {
	/** Stream conn-id → descriptor number in the successor. */
	emulatedConnections: Record<number, number>;
	/** Domid → descriptor number of the domain's listening socket in the successor. */
	emulatedListeners: Record<number, number>;
	/** `<conn-id>/<tx-id>` → what the stream cannot say about the transaction. */
	transactions: Record<string, { doomed: boolean; listed: string[] }>;
	delta?: { snapshot: string; childLists: Array<[string, string[]]> };
	/**
	 * Descriptor numbers of dom0 clients the stream leaves out: the successor made their connections
	 * before the handover (ipc.ts) and they had nothing to carry over (Connection.quiet). Those
	 * whose peers sent something lately come first: the successor starts reading them first.
	 */
	quiet?: number[];
}

export function extrasPath(stateFile: string): string {
	return `${stateFile}.tsxenstored`;
}

export function writeExtras(stateFile: string, extras: Extras): void {
	writeFileSync(extrasPath(stateFile), JSON.stringify(extras), { mode: 0o600 });
}

/** The extras beside a state file, or none (a stream from another implementation). */
export function readExtras(stateFile: string): Extras {
	try {
		const parsed = JSON.parse(readFileSync(extrasPath(stateFile), 'utf8')) as Partial<Extras>;
		return {
			emulatedConnections: parsed.emulatedConnections ?? {},
			emulatedListeners: parsed.emulatedListeners ?? {},
			transactions: parsed.transactions ?? {},
			...(parsed.delta !== undefined ? { delta: parsed.delta } : {}),
			...(Array.isArray(parsed.quiet) ? { quiet: parsed.quiet.filter(Number.isInteger) } : {}),
		};
	} catch {
		return { emulatedConnections: {}, emulatedListeners: {}, transactions: {} };
	}
}
