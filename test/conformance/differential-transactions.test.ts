import cases from './cases/transactions.ts';
import { defineDifferentialSuite } from './differential.ts';

defineDifferentialSuite('differential: transactions', cases);
