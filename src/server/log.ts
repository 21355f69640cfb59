/**
 * The daemon's log: one line per event, with a timestamp and a level, to a stream (stderr in the
 * foreground, a file when daemonized). Small on purpose: a system daemon carries few dependencies.
 */
export type Level = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
	error(msg: string): void;
	warn(msg: string): void;
	info(msg: string): void;
	debug(msg: string): void;
}

export interface LineSink {
	write(line: string): unknown;
}

export function createLogger(sink: LineSink, verbose: boolean): Logger {
	const emit = (level: Level, msg: string) =>
		sink.write(`${new Date().toISOString()} tsxenstored ${level}: ${msg}\n`);
	return {
		error: (m) => emit('error', m),
		warn: (m) => emit('warn', m),
		info: (m) => emit('info', m),
		debug: verbose ? (m) => emit('debug', m) : () => {},
	};
}
