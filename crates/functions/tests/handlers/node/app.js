// Handlers for the functions crate's tests (Node.js, through Stepwise's bootstrap).
let calls = 0;

exports.echo = async (event, context) => {
  calls += 1;
  return { event, pid: process.pid, calls, function: context.functionName, requestId: context.awsRequestId };
};

class PaymentDeclined extends Error {
  constructor(message) {
    super(message);
    this.name = 'PaymentDeclined';
  }
}

exports.fail = async (event) => {
  throw new PaymentDeclined(`card ${event.card} declined`);
};

exports.crash = async () => {
  process.exit(3);
};

exports.callback = (event, context, done) => {
  done(null, { viaCallback: event });
};
