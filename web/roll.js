// The piano roll: notes as bars (time → x, pitch → y, velocity → shade) on a canvas, one window of the piece
// at a time; the window follows the playhead. A continuation's generated part is drawn in the accent colour
// after a line where the prompt ends.
const WINDOW_SECONDS = 30;

/** A roll on `canvas`; `show` sets the notes ({seconds, notes: [[start, dur, pitch, vel]...]}). */
export function createRoll(canvas) {
  let data = { seconds: 0, notes: [] };
  let promptEnd = null;
  let from = 0;
  let playhead = null;

  const draw = () => {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth,
      h = canvas.clientHeight;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    if (data.notes.length === 0) return;
    let lo = 127,
      hi = 0;
    for (const n of data.notes) {
      lo = Math.min(lo, n[2]);
      hi = Math.max(hi, n[2]);
    }
    lo = Math.max(0, lo - 2);
    hi = Math.min(127, hi + 2);
    const span = Math.min(WINDOW_SECONDS, Math.max(1, data.seconds));
    const x = (t) => ((t - from) / span) * w;
    const rowH = h / (hi - lo + 1);
    const y = (p) => h - (p - lo + 1) * rowH;
    // Octave lines at each C, so the eye finds its way up and down the keyboard.
    g.strokeStyle = '#eceef2';
    for (let p = Math.ceil(lo / 12) * 12; p <= hi; p += 12) {
      g.beginPath();
      g.moveTo(0, y(p) + rowH);
      g.lineTo(w, y(p) + rowH);
      g.stroke();
    }
    for (const [start, dur, pitch, vel] of data.notes) {
      if (start > from + span || start + dur < from) continue;
      const generated = promptEnd !== null && start >= promptEnd;
      const shade = 0.35 + 0.65 * (vel / 127);
      g.fillStyle = generated ? `rgba(209, 73, 91, ${shade})` : `rgba(52, 84, 140, ${shade})`;
      g.fillRect(x(start), y(pitch), Math.max(1.5, (dur / span) * w), Math.max(1.5, rowH - 0.5));
    }
    if (promptEnd !== null) line(g, x(promptEnd), h, '#d1495b', [4, 3]);
    if (playhead !== null) line(g, x(playhead), h, '#1d1f23', []);
  };

  return {
    show(notes, { prompt = null, at = 0 } = {}) {
      data = notes;
      promptEnd = prompt;
      from = Math.max(0, at);
      playhead = null;
      draw();
    },
    /** Moves the playhead to `t` seconds (null hides it), paging the window to keep it in view. */
    playhead(t) {
      playhead = t;
      const span = Math.min(WINDOW_SECONDS, Math.max(1, data.seconds));
      if (t !== null && (t < from || t > from + span * 0.9)) from = Math.max(0, t - span * 0.1);
      draw();
    },
    redraw: draw,
  };
}

function line(g, x, h, color, dash) {
  g.strokeStyle = color;
  g.lineWidth = 1.5;
  g.setLineDash(dash);
  g.beginPath();
  g.moveTo(x, 0);
  g.lineTo(x, h);
  g.stroke();
  g.setLineDash([]);
}
