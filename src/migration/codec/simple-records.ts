/** END, GLOBAL_DATA and TRANSACTION_DATA: records of fixed size. */
import { RecordType } from '../constants.ts';
import { END, type EndRecord, type GlobalDataRecord, type TransactionDataRecord } from '../records.ts';
import { checkI32, checkU32, finishBody, need, problemAt } from './fields.ts';
import type { RecordCodec } from './record-codec.ts';

export const endCodec: RecordCodec<EndRecord> = {
	code: RecordType.END,
	size: () => 0,
	write: () => {},
	decode(body, ctx) {
		finishBody(ctx, body, 0);
		return END;
	},
};

export const globalDataCodec: RecordCodec<GlobalDataRecord> = {
	code: RecordType.GLOBAL_DATA,
	size(r) {
		checkI32(r, 'socket fd', r.socketFd);
		checkI32(r, 'event-channel fd', r.evtchnFd);
		return 8;
	},
	write(r, buf, o, order) {
		order.putI32(buf, o, r.socketFd);
		order.putI32(buf, o + 4, r.evtchnFd);
	},
	decode(body, ctx) {
		need(ctx, body, 8, 'GLOBAL_DATA');
		finishBody(ctx, body, 8);
		return { type: 'GLOBAL_DATA', socketFd: ctx.order.i32(body, 0), evtchnFd: ctx.order.i32(body, 4) };
	},
};

export const transactionDataCodec: RecordCodec<TransactionDataRecord> = {
	code: RecordType.TRANSACTION_DATA,
	size(r) {
		checkU32(r, 'conn-id', r.connId);
		checkU32(r, 'tx-id', r.txId);
		return 8;
	},
	write(r, buf, o, order) {
		order.putU32(buf, o, r.connId);
		order.putU32(buf, o + 4, r.txId);
	},
	decode(body, ctx) {
		need(ctx, body, 8, 'TRANSACTION_DATA');
		finishBody(ctx, body, 8);
		const connId = ctx.order.u32(body, 0);
		const txId = ctx.order.u32(body, 4);
		if (connId === 0) throw problemAt(ctx, 'bad-value', 0, 'conn-id is 0');
		if (txId === 0) throw problemAt(ctx, 'bad-value', 4, 'tx-id is 0, which means "no transaction"');
		return { type: 'TRANSACTION_DATA', connId, txId };
	},
};
