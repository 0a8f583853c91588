// The answer of an HTTP request whose readings are settled one by one, possibly out of order, by
// the nodes downstream: 200 once all are stored, 422 with each refusal, 502 when InfluxDB 3 refused
// the write, 503 when they could not be kept or confirmed in time.
import should from 'should';
import { Answer, RequestAnswers, SERVER_REFUSAL } from '../../../nodes/lib/http/request-answers';

describe('RequestAnswers', () => {
  const answered: Answer[] = [];
  const answer = (a: Answer) => answered.push(a);
  beforeEach(() => (answered.length = 0));

  it('answers 200 only when the last reading is settled, whatever the order, and once', () => {
    const r = new RequestAnswers(60_000);
    const seq = r.start(4, answer);
    r.settle(seq, [2, 0]);
    r.settle(seq, [0]); // twice: no effect
    should(answered).be.empty();
    r.settle(seq, [1, 3]);
    should(answered).eql([{ status: 200, body: { stored: 4 } }]);
    r.settle(seq);
    should(answered).have.length(1);
    should(r.open).equal(0);
  });

  it('answers 422 with each refused reading, its index and reason, and counts the stored ones', () => {
    const r = new RequestAnswers(60_000);
    const seq = r.start(3, answer);
    r.settle(seq, [1], [{ code: 'out_of_range', message: 'too hot', field: 'temperature' }]);
    r.settle(seq, [0, 2]);
    should(answered).eql([
      {
        status: 422,
        body: { stored: 2, refused: [{ index: 1, code: 'out_of_range', message: 'too hot', field: 'temperature' }] },
      },
    ]);
  });

  it('answers 502 when InfluxDB 3 refused the write whole, and 503 when the readings were not kept', () => {
    const r = new RequestAnswers(60_000);
    const a = r.start(2, answer);
    r.settle(a, undefined, { code: SERVER_REFUSAL, message: '401 unauthorized' });
    const b = r.start(2, answer);
    r.settle(b, [0]);
    r.fail(b, 'the spool is full');
    r.settle(b, [1]);
    should(answered.map((x) => x.status)).eql([502, 503]);
    should(answered[0].body.error).match(/401 unauthorized/);
    should(answered[1].headers).eql({ 'Retry-After': '5' });
  });

  it('answers 503 when nothing confirms the readings in time, and to every open request on failAll', async () => {
    const r = new RequestAnswers(30);
    r.start(1, answer);
    await new Promise((res) => setTimeout(res, 60));
    should(answered).have.length(1);
    should(answered[0].status).equal(503);
    should(answered[0].body.error).match(/not confirmed within 0.03 s/);
    const long = new RequestAnswers(60_000);
    long.start(1, answer);
    long.start(2, answer);
    long.failAll('stopping');
    should(answered.slice(1).map((x) => x.status)).eql([503, 503]);
    should(long.open).equal(0);
  });

  it('answers a request of no readings at once', () => {
    new RequestAnswers(60_000).start(0, answer);
    should(answered).eql([{ status: 200, body: { stored: 0 } }]);
  });
});
