// Orthogonal Procrustes in 2-D: turns (and, if that fits better, mirrors) one projection onto another so
// panels of maps over training face the same way. t-SNE and UMAP fix positions only up to rotation and
// reflection, so without this the same cluster wanders between panels. Never scales or distorts a map.

/** `points` rotated (and possibly mirrored) about their centroid to best match `target` (least squares; same order). */
export function alignTo(
  points: ReadonlyArray<readonly [number, number]>,
  target: ReadonlyArray<readonly [number, number]>,
): Array<[number, number]> {
  if (points.length !== target.length) throw new Error(`alignTo: ${points.length} points for ${target.length} targets`);
  const n = points.length;
  if (n === 0) return [];
  const centre = (ps: ReadonlyArray<readonly [number, number]>): [number, number] => [
    ps.reduce((s, p) => s + p[0], 0) / n,
    ps.reduce((s, p) => s + p[1], 0) / n,
  ];
  const [ax, ay] = centre(points);
  const [bx, by] = centre(target);
  // M = Aᵀ B of the centred sets; the best rotation maximizes trace(Rᵀ M), which has a closed form in 2-D.
  let m00 = 0,
    m01 = 0,
    m10 = 0,
    m11 = 0;
  for (let i = 0; i < n; i++) {
    const x = points[i][0] - ax,
      y = points[i][1] - ay,
      u = target[i][0] - bx,
      v = target[i][1] - by;
    m00 += x * u;
    m01 += x * v;
    m10 += y * u;
    m11 += y * v;
  }
  // Mirroring y first negates the second row of M.
  const mirror = Math.hypot(m00 - m11, m01 + m10) > Math.hypot(m00 + m11, m01 - m10);
  const theta = mirror ? Math.atan2(m01 + m10, m00 - m11) : Math.atan2(m01 - m10, m00 + m11);
  const c = Math.cos(theta),
    s = Math.sin(theta);
  return points.map(([px, py]): [number, number] => {
    const x = px - ax,
      y = mirror ? ay - py : py - ay;
    return [c * x - s * y + ax, s * x + c * y + ay];
  });
}
