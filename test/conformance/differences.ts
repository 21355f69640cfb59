/**
 * The deliberate differences between Debian's C xenstored 4.17 and tsxenstored: where 4.17 departs
 * from docs/misc/xenstore.txt or from current C xenstored, tsxenstored follows the spec and
 * current C. docs/differences.md explains each; a case that meets one names it and states what
 * tsxenstored must answer instead, derived from the spec (not from tsxenstored's own output).
 */
export const DIFFERENCES = {
	'feature-quota-ops':
		'4.17 lacks GET_FEATURE, SET_FEATURE, GET_QUOTA and SET_QUOTA (types 23-26) and answers ENOSYS',
	'watch-depth': '4.17 refuses the optional <depth> argument of WATCH with EINVAL; the spec defines it',
	'path-length':
		'4.17 limits every path to 2048 bytes past /local/domain/<id>/, even for dom0; the spec allows 3072',
	'missing-nul':
		'4.17 answers a path argument without its NUL with a stale errno (seen: ENOENT); current C: EINVAL',
	'unwatch-path-check':
		'4.17 does not validate the path of UNWATCH and answers ENOENT; current C answers EINVAL',
	'special-path-syntax':
		'4.17 accepts any bytes after @ in a watch path; current C applies the path rules (characters, //, trailing /)',
	'special-path-perms': '4.17 refuses GET_PERMS on @introduceDomain and @releaseDomain; current C answers',
	'perm-domid-syntax':
		'4.17 reads the domid of a perm with strtol(base 0): octal, hex, signs, blanks and values past 65535 pass; tsxenstored takes decimal 0-65535 without leading zeros only',
	'transaction-sibling-merge':
		'4.17 fails a transaction with EAGAIN when another client added a different child to a parent it added a child to; tsxenstored commits both',
	'domid-syntax':
		'4.17 reads domids with atoi (garbage is 0); current C refuses what is not a decimal number up to 65535 with EINVAL',
} as const;

export type DifferenceId = keyof typeof DIFFERENCES;
