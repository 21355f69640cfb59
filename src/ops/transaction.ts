import { XenstoreError } from '../protocol/errors.ts';
import { checkQuota } from '../store/quota.ts';
import { requireOneArg } from './args.ts';
import { CONFLICT, OK, type Operation } from './context.ts';

/**
 * TRANSACTION_START `\0` → the new id in decimal. Transactions do not nest. The quota counts the
 * open transactions of all the domain's connections, as C xenstored counts them per domain.
 */
export const transactionStart: Operation = ({ store, domains }, session, _request, tx) => {
	if (tx !== undefined) throw new XenstoreError('EBUSY', 'transactions do not nest');
	const { domid, privileged } = session.caller;
	if (!privileged) {
		const open = domains.usage(domid).transactions;
		checkQuota('transactions', store.quota(domid, 'transactions'), open + 1, domid);
	}
	const id = session.nextTransactionId();
	session.transactions.set(id, store.startTransaction(id, session.caller));
	return `${id}\0`;
};

/**
 * TRANSACTION_END `T\0` commits, `F\0` aborts. Either way the transaction is over, even when the
 * commit answers EAGAIN because something it read or wrote changed meanwhile.
 */
export const transactionEnd: Operation = ({ store }, session, { payload, txId }, tx) => {
	const arg = requireOneArg(payload, 'TRANSACTION_END');
	if (arg !== 'T' && arg !== 'F') throw new XenstoreError('EINVAL', 'TRANSACTION_END takes T or F');
	if (tx === undefined) throw new XenstoreError('ENOENT', 'TRANSACTION_END outside a transaction');
	session.transactions.delete(txId);
	if (arg === 'T' && !store.commit(session.caller, tx)) return CONFLICT;
	return OK;
};
