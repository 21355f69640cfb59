import type { Answer, Reply, Services, Session } from '../ops/context.ts';
import { OPERATIONS } from '../ops/index.ts';
import { XenstoreError } from '../protocol/errors.ts';
import type { Frame } from '../protocol/frame.ts';
import { encodeFrame } from '../protocol/frame.ts';
import { PAYLOAD_MAX } from '../protocol/limits.ts';
import { MessageType } from '../protocol/message-type.ts';

/** What a request produced: the reply frame, and for the log, the error if it failed. */
export interface Outcome {
	frame: Buffer;
	error: XenstoreError | undefined;
}

function replyFrame(request: Frame, reply: Reply): Outcome {
	if (reply.length > PAYLOAD_MAX) {
		return errorFrame(request, new XenstoreError('E2BIG', `reply of ${reply.length} bytes`));
	}
	return { frame: encodeFrame(request.type, request.reqId, request.txId, reply), error: undefined };
}

function answerFrame(request: Frame, answer: Answer): Outcome {
	return answer instanceof XenstoreError ? errorFrame(request, answer) : replyFrame(request, answer);
}

function errorFrame(request: Frame, error: XenstoreError): Outcome {
	return { frame: encodeFrame(MessageType.ERROR, request.reqId, request.txId, `${error.code}\0`), error };
}

/** Turn anything an operation threw into a xenstore error; a bug becomes EIO, never a crash. */
function asXenstoreError(e: unknown): XenstoreError {
	if (e instanceof XenstoreError) return e;
	const err = new XenstoreError(
		'EIO',
		`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
	);
	return err;
}

/**
 * Run one request: unknown types answer ENOSYS, privileged ones EACCES for guests, an unknown
 * transaction id ENOENT, then the operation. Always yields exactly one reply frame.
 */
export function dispatch(services: Services, session: Session, request: Frame): Outcome | Promise<Outcome> {
	try {
		const op = OPERATIONS.get(request.type);
		if (op === undefined) throw new XenstoreError('ENOSYS', `unknown message type ${request.type}`);
		if (op.privileged && !session.caller.privileged) {
			throw new XenstoreError('EACCES', `${op.name} is for dom0 only`);
		}
		let tx: ReturnType<Session['transactions']['get']>;
		if (!op.ignoresTransaction && request.txId !== 0) {
			tx = session.transactions.get(request.txId);
			if (tx === undefined) throw new XenstoreError('ENOENT', `no transaction ${request.txId}`);
		}
		const reply = op.run(services, session, {
			type: request.type,
			reqId: request.reqId,
			txId: request.txId,
			payload: request.payload,
			tx,
		});
		if (reply instanceof Promise) {
			return reply.then(
				(r) => answerFrame(request, r),
				(e: unknown) => errorFrame(request, asXenstoreError(e)),
			);
		}
		return answerFrame(request, reply);
	} catch (e) {
		return errorFrame(request, asXenstoreError(e));
	}
}
