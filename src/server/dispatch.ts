import type { Answer, Reply, Services, Session } from '../ops/context.ts';
import { OPERATIONS } from '../ops/index.ts';
import { XenstoreError } from '../protocol/errors.ts';
import type { Frame } from '../protocol/frame.ts';
import { encodeFrame } from '../protocol/frame.ts';
import { PAYLOAD_MAX } from '../protocol/limits.ts';
import { MessageType } from '../protocol/message-type.ts';

/** Told of a request that failed by a fault of the daemon's (answered EIO), for the log. */
export type FaultReport = (error: XenstoreError) => void;

function replyFrame(request: Frame, reply: Reply): Buffer {
	if (reply.length > PAYLOAD_MAX) {
		return errorFrame(request, new XenstoreError('E2BIG', `reply of ${reply.length} bytes`));
	}
	return encodeFrame(request.type, request.reqId, request.txId, reply);
}

function answerFrame(request: Frame, answer: Answer): Buffer {
	return answer instanceof XenstoreError ? errorFrame(request, answer) : replyFrame(request, answer);
}

function errorFrame(request: Frame, error: XenstoreError): Buffer {
	return encodeFrame(MessageType.ERROR, request.reqId, request.txId, `${error.code}\0`);
}

/** Anything an operation threw, as the error frame it answers; a bug becomes EIO, never a crash. */
function thrownFrame(request: Frame, e: unknown, fault: FaultReport): Buffer {
	if (e instanceof XenstoreError) return errorFrame(request, e);
	const error = new XenstoreError(
		'EIO',
		`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
	);
	fault(error);
	return errorFrame(request, error);
}

/**
 * Run one request: unknown types answer ENOSYS, privileged ones EACCES for guests, an unknown
 * transaction id ENOENT, then the operation. Always yields exactly one reply frame. Nothing is
 * allocated here beyond the reply: this runs for every request.
 */
export function dispatch(
	services: Services,
	session: Session,
	request: Frame,
	fault: FaultReport,
): Buffer | Promise<Buffer> {
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
		const answer = op.run(services, session, request, tx);
		if (answer instanceof Promise) {
			return answer.then(
				(a) => answerFrame(request, a),
				(e: unknown) => thrownFrame(request, e, fault),
			);
		}
		return answerFrame(request, answer);
	} catch (e) {
		return thrownFrame(request, e, fault);
	}
}
