/** What the benchmark needs from the machine, checked before anything starts. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { XEN_BIN } from '../test/harness/daemons.ts';

interface Prerequisite {
	/** Debian package that provides it. */
	pkg: string;
	what: string;
	present(): boolean;
}

function onPath(command: string): boolean {
	try {
		execFileSync(command, ['--version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

const compiler: Prerequisite = {
	pkg: 'gcc',
	what: 'a C compiler (gcc) for the load generator and the xenshim stub',
	present: () => onPath('gcc'),
};
const libxenstore: Prerequisite = {
	pkg: 'libxen-dev',
	what: "libxenstore's header and library (xenstore.h, -lxenstore) for the load generator",
	present: () => existsSync('/usr/include/xenstore.h'),
};
const referenceDaemons: Prerequisite = {
	pkg: 'xen-utils-4.17',
	what: `Debian's C xenstored and oxenstored 4.17 (${XEN_BIN}/xenstored, oxenstored)`,
	present: () => existsSync(join(XEN_BIN, 'xenstored')) && existsSync(join(XEN_BIN, 'oxenstored')),
};

/**
 * Throws, naming what is missing and the exact command that installs it, unless everything the
 * run needs is there. The reference daemons are needed only when one of them is measured.
 */
export function checkPrerequisites(needReferenceDaemons: boolean): void {
	const wanted = [compiler, libxenstore, ...(needReferenceDaemons ? [referenceDaemons] : [])];
	const missing = wanted.filter((p) => !p.present());
	if (missing.length === 0) return;
	const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
	throw new Error(
		[
			'The benchmark cannot run on this machine yet; missing:',
			...missing.map((p) => `  - ${p.what}`),
			'Install them with:',
			`  ${sudo}apt-get update && ${sudo}apt-get install -y ${missing.map((p) => p.pkg).join(' ')}`,
		].join('\n'),
	);
}
