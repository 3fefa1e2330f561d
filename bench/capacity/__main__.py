from bench.capacity.demonstration import main

raise SystemExit(main())
