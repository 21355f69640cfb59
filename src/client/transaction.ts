import { XenstoreError } from '../protocol/errors.ts';
import { MessageType } from '../protocol/message-type.ts';
import type { Call } from './call.ts';
import { NodeOperations } from './node-ops.ts';
import { argsPayload } from './payload.ts';

/** Node operations inside one transaction; end it with commit() or abort(). */
export class Transaction extends NodeOperations {
	/** Commit: rejects with XenstoreError EAGAIN when a conflicting change came first. */
	async commit(): Promise<void> {
		return endTransaction(this.call, this.txId, true);
	}

	/** Discard every change made in the transaction. */
	async abort(): Promise<void> {
		return endTransaction(this.call, this.txId, false);
	}
}

export async function endTransaction(call: Call, txId: number, commit: boolean): Promise<void> {
	const what = `${commit ? 'commit' : 'abort'} transaction ${txId}`;
	await call(MessageType.TRANSACTION_END, txId, argsPayload([commit ? 'T' : 'F'], what), what);
}

export interface TransactionOptions {
	/** How many times to start over after EAGAIN before giving up with it; 10 by default. */
	retries?: number;
}

export const DEFAULT_TRANSACTION_RETRIES = 10;

function isEagain(err: unknown): boolean {
	return err instanceof XenstoreError && err.code === 'EAGAIN';
}

/**
 * Run `body` in a fresh transaction and commit it. EAGAIN, from the commit (a conflict) or from an
 * operation inside, starts it over from scratch, `retries` times at most. Anything else `body` throws
 * aborts the transaction and is rethrown; so is the last EAGAIN.
 */
export async function runTransaction<T>(
	start: () => Promise<Transaction>,
	body: (tx: Transaction) => Promise<T>,
	options: TransactionOptions = {},
): Promise<T> {
	const retries = options.retries ?? DEFAULT_TRANSACTION_RETRIES;
	for (let attempt = 0; ; attempt++) {
		const tx = await start();
		let result: T;
		try {
			result = await body(tx);
		} catch (err) {
			// The body's error is what the caller needs; a failing abort (say, the connection
			// dropped) would only hide it.
			await tx.abort().catch(() => undefined);
			if (isEagain(err) && attempt < retries) continue;
			throw err;
		}
		try {
			await tx.commit();
			return result;
		} catch (err) {
			if (isEagain(err) && attempt < retries) continue;
			throw err;
		}
	}
}
