import { describeZeroLoss } from './zero-loss';

describeZeroLoss(2);
