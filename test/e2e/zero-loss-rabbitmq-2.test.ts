import { describeZeroLoss } from './zero-loss';

describeZeroLoss(1, 'rabbitmq');
