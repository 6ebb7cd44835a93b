import { useEffect, useState } from 'react';
import { all, arnName, fmtDate } from '../api';
import { href } from '../App';

interface Machine {
  stateMachineArn: string;
  name: string;
  type: string;
  creationDate: number;
}

export default function Machines() {
  const [machines, setMachines] = useState<Machine[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    all<Machine>('ListStateMachines', { maxResults: 1000 }, 'stateMachines').then(setMachines, (e) => setError(String(e.message ?? e)));
  }, []);
  return (
    <section className="sw-page">
      <div className="sw-page-head">
        <h1>State machines</h1>
        <a className="sw-button sw-primary" href={href('designer')}>
          Create state machine
        </a>
      </div>
      {error ? <p className="sw-error" role="alert">{error}</p> : null}
      {!machines ? (
        <p className="sw-muted">Loading…</p>
      ) : machines.length === 0 ? (
        <p className="sw-muted">No state machines yet. Create one in the designer, or with the AWS CLI / SDKs against this server.</p>
      ) : (
        <table className="sw-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Created</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {machines.map((m) => (
              <tr key={m.stateMachineArn}>
                <td>
                  <a href={href('designer', m.stateMachineArn)}>{m.name}</a>
                  <div className="sw-muted sw-small">{arnName(m.stateMachineArn)}</div>
                </td>
                <td>{m.type}</td>
                <td>{fmtDate(m.creationDate)}</td>
                <td className="sw-actions">
                  <a href={href('designer', m.stateMachineArn)}>Edit</a>
                  <a href={href('executions', undefined, { stateMachineArn: m.stateMachineArn })}>Executions</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
