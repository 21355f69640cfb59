import { Socket } from 'node:net';

/**
 * Reading sockets into one buffer the daemon owns, instead of a fresh one per read.
 *
 * By default Node gives every read its own newly allocated buffer, which the garbage collector then
 * has to find and free: at a few tens of thousands of small requests a second that is a good part
 * of a Node daemon's cost per request. A socket made with Node's `onread` option reads into a
 * buffer of the caller's and passes it to a callback instead. Sockets a server accepts cannot be
 * given that option, so the two fields the option sets are found here once, on a probe socket
 * made with it, and set the same way on the sockets the daemon serves.
 */

/** How much one read may take: what Node reads at once by default. */
const READ_SIZE = 64 * 1024;

/** Every socket reads into this; what a callback is handed is valid only until it returns. */
const shared = Buffer.allocUnsafe(READ_SIZE);

interface ReadingHandle {
	useUserBuffer(buffer: Uint8Array): void;
}

function optionFields(): { buffer: symbol; callback: symbol } {
	const buffer = Buffer.alloc(1);
	const callback = () => true;
	const probe = new Socket({ onread: { buffer, callback } });
	const fields = Object.getOwnPropertySymbols(probe);
	const bufferField = fields.find((s) => Reflect.get(probe, s) === buffer);
	const callbackField = fields.find((s) => Reflect.get(probe, s) === callback);
	probe.destroy();
	if (bufferField === undefined || callbackField === undefined) {
		throw new Error(
			`this Node.js (${process.version}) does not keep the onread option where tsxenstored expects`,
		);
	}
	return { buffer: bufferField, callback: callbackField };
}

const fields = optionFields();

/**
 * From now on, what `socket` reads goes to `onData` as a view of the shared buffer, valid only
 * during the call: whatever must outlive it is copied. Reading starts and stops with the handle's
 * own readStart/readStop; the socket's stream delivers nothing (it still reports end and close).
 * False if the socket is closed already.
 */
export function readIntoSharedBuffer(socket: Socket, onData: (chunk: Buffer) => void): boolean {
	const handle = (socket as unknown as { _handle?: Partial<ReadingHandle> | null })._handle;
	// Gone already: the peer hung up (or the socket failed) before the daemon served it.
	if (typeof handle?.useUserBuffer !== 'function') return false;
	Reflect.set(socket, fields.buffer, shared);
	// Returning false would stop the handle: it stops only when the transport says so.
	Reflect.set(socket, fields.callback, (nread: number) => {
		onData(shared.subarray(0, nread));
		return true;
	});
	handle.useUserBuffer(shared);
	return true;
}
