from mllb_lab.cli import main

raise SystemExit(main())
