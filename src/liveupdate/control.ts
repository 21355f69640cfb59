import { accessSync, constants, statSync } from 'node:fs';
import { atoi } from '../ops/args.ts';
import type { Session } from '../ops/context.ts';
import { XenstoreError } from '../protocol/errors.ts';

/** What `-s` asks for once the binary (and maybe a command line) is known. */
export interface UpdatePlan {
	binary: string;
	/** Replaces the original arguments when given (`-c`), split on blanks as C xenstored does. */
	cmdline: string | undefined;
	/** Go ahead after the timeout even with transactions that cannot be carried. */
	force: boolean;
	/** Seconds to wait for such transactions to end. */
	timeout: number;
	/** The connection that asked: its CONTROL reply travels with the state. */
	requester: Session;
	/** The request's header, to build that reply. */
	reqId: number;
	txId: number;
}

/** Carries out an update; resolves with the text to answer when it did not happen. */
export interface Updater {
	update(plan: UpdatePlan): Promise<string>;
}

/**
 * CONTROL `live-update`, step by step as `xenstore-control live-update` drives it (and as C
 * xenstored answers): `-f <binary>` opens a session for the asking connection, `-c <cmdline>`
 * sets the new command line, `-s [-t <secs>] [-F]` starts the update, `-a` aborts. Every step
 * answers "OK" or a sentence saying why not.
 */
export class LiveUpdateControl {
	private session: { owner: Session; binary: string; cmdline: string | undefined } | undefined;
	private readonly updater: Updater;
	/**
	 * Taking over from oxenstored: it answers `-s` with BUSY and execs its successor, and
	 * `xenstore-control` asks again; the successor answers that next `-s` with the outcome.
	 */
	private outcome: string | undefined;

	constructor(updater: Updater) {
		this.updater = updater;
	}

	/** The connection running a session, if any (it ends when that connection closes). */
	get owner(): Session | undefined {
		return this.session?.owner;
	}

	/** Answer the next `live-update -s` with "OK": this process completed an update started elsewhere. */
	completedElsewhere(): void {
		this.outcome = 'OK';
	}

	/** Forget a session whose connection went away. */
	connectionClosed(session: Session): void {
		if (this.session?.owner === session) this.session = undefined;
	}

	handle(requester: Session, args: string[], reqId: number, txId: number): string | Promise<string> {
		const [step, ...rest] = args;
		switch (step) {
			case '-a':
				if (rest.length !== 0) throw new XenstoreError('EINVAL', 'live-update -a takes no argument');
				if (this.session === undefined) return 'No live-update session active.';
				this.session = undefined;
				return 'OK';
			case '-c':
				if (rest.length !== 1) throw new XenstoreError('EINVAL', 'live-update -c takes a command line');
				if (this.session?.owner !== requester) return 'Not in live-update session.';
				this.session.cmdline = rest[0];
				return 'OK';
			case '-f':
				if (rest.length !== 1) throw new XenstoreError('EINVAL', 'live-update -f takes a file');
				return this.begin(requester, rest[0]!);
			case '-s':
				return this.start(requester, rest, reqId, txId);
			default:
				throw new XenstoreError('EINVAL', `unknown live-update step "${step ?? ''}"`);
		}
	}

	private begin(requester: Session, binary: string): string {
		try {
			statSync(binary);
		} catch {
			return 'File not accessible.';
		}
		try {
			accessSync(binary, constants.X_OK);
		} catch {
			return 'File not executable.';
		}
		if (this.session !== undefined) return 'live-update session already active.';
		this.session = { owner: requester, binary, cmdline: undefined };
		return 'OK';
	}

	private start(requester: Session, args: string[], reqId: number, txId: number): string | Promise<string> {
		let force = false;
		let timeout = 60;
		for (let i = 0; i < args.length; i++) {
			if (args[i] === '-F') force = true;
			else if (args[i] === '-t' && i < args.length - 1) timeout = Math.max(0, atoi(args[++i]!));
			else throw new XenstoreError('EINVAL', `unknown live-update -s option "${args[i]}"`);
		}
		const session = this.session;
		if (session === undefined && this.outcome !== undefined) {
			const outcome = this.outcome;
			this.outcome = undefined;
			return outcome;
		}
		if (session?.owner !== requester) return 'Not in live-update session.';
		const plan = { binary: session.binary, cmdline: session.cmdline, force, timeout, requester, reqId, txId };
		return this.updater.update(plan).finally(() => {
			if (this.session === session) this.session = undefined;
		});
	}
}
