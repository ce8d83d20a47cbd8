"""Drivers' routes, one module per job.

- :mod:`.planning`: the batches a driver could take, the planner's solve, and the reservation
  of the planned batches (``plan_route``);
- :mod:`.stops`: a stop done with the quantity carried, and a route given back;
- :mod:`.rendering`: a route as the API shows it, its navigation links, and its GPX file;
- :mod:`.common`: what the jobs share (the caller's routes, the route events);
- :mod:`.words`: the planner's reason codes as a driver reads them.

A batch is *reserved* while an active route has an undone stop for it. ``RouteStop.open_batch_id``
mirrors that (the batch id while the stop is open, NULL otherwise) under a unique index, so the
database itself refuses two open pickups of one batch.
"""
