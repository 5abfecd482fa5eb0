// The map: one circle per piece at its t-SNE point, drawn with d3 into the page's SVG. Zoom and pan move the
// points (the circles keep their size); hover and click go to callbacks; links from the selected piece to its
// neighbours and the point of an uploaded file are layers above the pieces.
const RADIUS = 4.5;

/** Draws `pieces` ({id, x, y, ...}) into `svg`; returns the handle the page drives the map with. */
export function createMap(svg, pieces, { onHover, onClick }) {
  const root = d3.select(svg);
  const width = () => svg.clientWidth || 800;
  const height = () => svg.clientHeight || 600;
  const pad = 24;
  const xs = d3.extent(pieces, (p) => p.x),
    ys = d3.extent(pieces, (p) => p.y);
  // One scale for both axes (a square in the data stays a square), centred in the view.
  const span = Math.max(xs[1] - xs[0], ys[1] - ys[0]) || 1;
  const base = () => {
    const size = Math.min(width(), height()) - 2 * pad;
    const cx = (xs[0] + xs[1]) / 2,
      cy = (ys[0] + ys[1]) / 2;
    return {
      x: d3
        .scaleLinear()
        .domain([cx - span / 2, cx + span / 2])
        .range([(width() - size) / 2, (width() + size) / 2]),
      y: d3
        .scaleLinear()
        .domain([cy - span / 2, cy + span / 2])
        .range([(height() + size) / 2, (height() - size) / 2]),
    };
  };
  let transform = d3.zoomIdentity;
  const scaled = () => {
    const b = base();
    return { x: transform.rescaleX(b.x), y: transform.rescaleY(b.y) };
  };

  const links = root.append('g').attr('class', 'links');
  const dots = root.append('g').attr('class', 'pieces');
  const marks = root.append('g').attr('class', 'uploads');
  const circles = dots
    .selectAll('circle')
    .data(pieces, (p) => p.id)
    .join('circle')
    .attr('class', 'piece')
    .attr('r', RADIUS)
    .attr('data-id', (p) => p.id)
    .on('mouseenter', function (event, p) {
      d3.select(this).classed('hover', true).raise();
      onHover(p, event);
    })
    .on('mousemove', (event, p) => onHover(p, event))
    .on('mouseleave', function () {
      d3.select(this).classed('hover', false);
      onHover(null);
    })
    .on('click', (event, p) => {
      event.stopPropagation();
      onClick(p);
    });

  let linkData = [];
  let uploads = [];
  const draw = () => {
    const s = scaled();
    circles.attr('cx', (p) => s.x(p.x)).attr('cy', (p) => s.y(p.y));
    links
      .selectAll('line')
      .data(linkData)
      .join('line')
      .attr('class', 'link')
      .attr('x1', (l) => s.x(l.from[0]))
      .attr('y1', (l) => s.y(l.from[1]))
      .attr('x2', (l) => s.x(l.to[0]))
      .attr('y2', (l) => s.y(l.to[1]));
    marks
      .selectAll('path')
      .data(uploads)
      .join((enter) =>
        enter
          .append('path')
          .attr('class', 'upload')
          .attr('d', d3.symbol(d3.symbolStar, 220))
          .on('click', (event, u) => {
            event.stopPropagation();
            u.onClick();
          }),
      )
      .attr('transform', (u) => `translate(${s.x(u.position[0])},${s.y(u.position[1])})`);
  };

  const zoom = d3
    .zoom()
    .scaleExtent([0.5, 40])
    .on('zoom', (event) => {
      transform = event.transform;
      draw();
    });
  root.call(zoom).on('dblclick.zoom', () => root.transition().duration(300).call(zoom.transform, d3.zoomIdentity));
  new ResizeObserver(draw).observe(svg);
  draw();

  return {
    /** Colours every piece: `colorOf(piece)` gives its fill. */
    color(colorOf) {
      circles.attr('fill', colorOf);
    },
    /** Fades the pieces for which `visible(piece)` is false. */
    filter(visible) {
      circles.classed('faded', (p) => !visible(p));
    },
    /** Marks the selected piece (or none) and draws links from `from` to each neighbour's point. */
    select(id, from, neighbours) {
      circles.classed('selected', (p) => p.id === id);
      circles.filter((p) => p.id === id).raise();
      linkData = from ? neighbours.map((to) => ({ from, to })) : [];
      draw();
    },
    /** Adds the star of an uploaded file at `position`; `onClick` reopens it. */
    addUpload(position, onClick) {
      uploads = [...uploads, { position, onClick }];
      draw();
    },
    /** The screen position of a piece (tests and the tooltip). */
    screenOf(p) {
      const s = scaled();
      return [s.x(p.x), s.y(p.y)];
    },
  };
}
