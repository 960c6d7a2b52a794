import { main } from "./cli/main.ts"

main()
