import { XenstoreError } from '../../src/protocol/errors.ts';
import { splitStrings } from '../../src/protocol/payload.ts';
import type { Caller } from '../../src/store/perms.ts';
import type { Store } from '../../src/store/store.ts';
import type { Transaction } from '../../src/store/transaction.ts';

/**
 * A node's child names as DIRECTORY answers them (the store's encoded reply, cache included),
 * decoded for comparing; ENOENT, as the operation replies, when there is no node there.
 */
export function childNames(
	store: Store,
	caller: Caller,
	tx: Transaction | undefined,
	path: string,
): string[] {
	const reply = store.directoryReply(caller, tx, path);
	if (reply === undefined) throw new XenstoreError('ENOENT', `no node ${path}`);
	return splitStrings(reply);
}
