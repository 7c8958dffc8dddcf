// A try's log, tailed while the try runs: each request asks from the last offset, so only new bytes travel.
// It keeps to the bottom while you are there, and stops asking once the API says the log is complete.
import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import { ErrorBox } from "./ui";

const POLL_MS = 1000;
/** Keep the browser responsive on huge logs: show the tail, the download has it all. */
const MAX_CHARS = 2_000_000;

export function LogView(props: { runId: string; task: string; mapIndex: number; tryNumber: number; live: boolean }) {
  const [text, setText] = useState("");
  const [complete, setComplete] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  // `live` changing (the try ended) wakes a finished poll loop once more to read the last bytes.
  const liveRef = useRef(props.live);
  liveRef.current = props.live;

  useEffect(() => {
    let stopped = false;
    let offset = 0;
    let timer: number | undefined;
    setText("");
    setComplete(false);
    setError(null);
    const poll = async () => {
      try {
        for (;;) {
          const chunk = await api.logs(props.runId, props.task, props.tryNumber, props.mapIndex, offset);
          if (stopped) return;
          if (chunk.text) setText((t) => (t.length + chunk.text.length > MAX_CHARS ? (t + chunk.text).slice(-MAX_CHARS) : t + chunk.text));
          const advanced = chunk.nextOffset > offset;
          offset = chunk.nextOffset;
          if (chunk.complete) {
            setComplete(true);
            return;
          }
          if (!advanced) break;
        }
        timer = window.setTimeout(() => void poll(), POLL_MS);
      } catch (failure) {
        if (!stopped) setError(failure);
        timer = window.setTimeout(() => void poll(), POLL_MS * 3);
      }
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [props.runId, props.task, props.mapIndex, props.tryNumber]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [text]);

  return (
    <div className="log">
      <div className="log-head">
        <span>
          Log of try {props.tryNumber}
          {complete ? "" : <span className="tailing"> · live</span>}
        </span>
        <a className="button small" href={api.logDownloadUrl(props.runId, props.task, props.tryNumber, props.mapIndex)} download>
          Download
        </a>
      </div>
      <ErrorBox error={error} />
      <pre
        ref={box}
        className="log-text"
        data-testid="log-text"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {text || (complete ? "(empty log)" : "Waiting for output…")}
      </pre>
    </div>
  );
}
