from blogsite.cli import main

raise SystemExit(main())
