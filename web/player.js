// Playback with real piano samples: a Tone.js Sampler over the tonejs-instruments piano mp3s that motif serve
// ships (every minor third from C1 to C8; the sampler pitch-shifts between them). Notes are scheduled a
// second ahead in small batches, so a long performance never queues thousands of voices at once.
const SAMPLED = ['C', 'Ds', 'Fs', 'A'];
const LOOKAHEAD = 1.0; // seconds of notes scheduled ahead of the clock
const TICK_MS = 200;

let sampler = null;

/** Loads the samples once (the first Play). */
async function piano() {
  if (sampler) return sampler;
  const urls = {};
  for (let octave = 1; octave <= 7; octave++)
    for (const name of SAMPLED) urls[`${name.replace('s', '#')}${octave}`] = `${name}${octave}.mp3`;
  urls.C8 = 'C8.mp3';
  const s = new Tone.Sampler({ urls, baseUrl: 'vendor/piano/', release: 0.8 }).toDestination();
  await Tone.loaded();
  sampler = s;
  return s;
}

/** A player: `play(notes, from, onTime)` plays {notes: [[start, dur, pitch, vel]...]} from `from` seconds. */
export function createPlayer() {
  let timer = null;
  let frame = null;
  let playing = false;

  const stop = () => {
    playing = false;
    clearInterval(timer);
    cancelAnimationFrame(frame);
    sampler?.releaseAll();
  };

  return {
    get playing() {
      return playing;
    },
    /** Starts playback (must follow a user gesture: browsers start audio only then). */
    async play(notes, from, onTime, onEnd) {
      stop();
      await Tone.start();
      const s = await piano();
      const list = notes.notes.filter((n) => n[0] >= from).sort((a, b) => a[0] - b[0]);
      const t0 = Tone.now() + 0.1 - from;
      let next = 0;
      playing = true;
      const schedule = () => {
        const horizon = Tone.now() - t0 + LOOKAHEAD;
        for (; next < list.length && list[next][0] < horizon; next++) {
          const [start, dur, pitch, vel] = list[next];
          s.triggerAttackRelease(Tone.Frequency(pitch, 'midi').toNote(), Math.max(0.05, dur), t0 + start, vel / 127);
        }
      };
      schedule();
      timer = setInterval(schedule, TICK_MS);
      const tick = () => {
        if (!playing) return;
        const t = Tone.now() - t0;
        onTime(t);
        if (t > notes.seconds + 0.5) {
          stop();
          onEnd();
        } else frame = requestAnimationFrame(tick);
      };
      frame = requestAnimationFrame(tick);
    },
    stop,
    /** The audio context's state ('running' once playing), for the page's status and tests. */
    state: () => Tone.getContext().state,
  };
}
